"""The kiosk's pages: a tablet in the house that shows the coming days and signs people up.

Any browser may open /kiosk: it shows only the public program. An *enrolled* tablet (its
device cookie, see people.access.current_kiosk) additionally books at once, without the
texted code, also for people without a phone, and offers "I am here" (a check-in: its pages
are attendance's, at /kiosk/sessions/<id>/here).

The sign-up steps keep their state in the Flask session under one key. Showing the start
page drops every key of the screen, so an idle reset (the pages' 60 s refresh, or kiosk.js)
forgets the number and the name on the server too. Nothing that names a person is ever
rendered: the number pad shows only the last two digits, and the done screen only the
activity and the outcome.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import current_language
from havehus.messaging import outgoing
from havehus.models import Mode, Session
from havehus.people.access import client_ip, current_actor, current_kiosk
from havehus.program.page_cache import public_page
from havehus.program.services import public_session
from havehus.signup import challenges, services, texts
from havehus.signup.forms import guest_choices, posted_guests
from havehus.signup.kiosk import (
    CHECK_IN_EARLY,
    CODE_DIGITS,
    DONE_KEY,
    MAX_DIGITS,
    STATE_KEY,
    KioskForm,
    KioskState,
    accepts_check_in,
    forget_screen,
    kiosk_days,
    load_state,
    masked,
    phone_step,
    posted_form,
    press_pad,
    save_state,
    state_for,
)
from havehus.signup.sign_up import Person, SignUp, sign_up
from havehus.timeutil import house_tz, utcnow

bp = Blueprint("kiosk", __name__)


def _session_or_404(session_id: int) -> Session:
    found = public_session(db.session, session_id)
    if found is None:
        abort(404)
    return found


def _closed_reason(target: Session, now: datetime) -> str | None:
    try:
        services.check_bookable(target, now, staff=False, settings=current_settings())
    except HavehusError as error:
        return error.message
    return None


def _finish(
    target: Session, result: services.BookingResult, *, stopped: bool = False
) -> ResponseReturnValue:
    session.pop(STATE_KEY, None)
    session[DONE_KEY] = {
        "kind": "booking",
        "session_id": target.id,
        "status": result.booking.status,
        "position": result.position,
        "created": result.created,
        # Only what was really queued: the done screen never promises a text that isn't coming.
        "texted": result.texted,
        # The number said STOP: the screen says why no text comes, and how to get texts again.
        "stopped": stopped,
    }
    return redirect(url_for("kiosk.done"))


# ---------------------------------------------------------------- pages


@bp.get("/kiosk")
def start() -> ResponseReturnValue:
    forget_screen()  # an idle reset lands here: nothing of the last person stays, here or on screen
    enrolled = current_kiosk() is not None
    return public_page(
        lambda: _render_start(enrolled), variant=(enrolled,), leads=(CHECK_IN_EARLY,)
    )


def _render_start(enrolled: bool) -> str:
    now = utcnow()
    return render_template(
        "signup/kiosk/start.html",
        days=kiosk_days(db.session, now, house_tz()),
        now=now,
        enrolled=enrolled,
        accepts_check_in=accepts_check_in,
        form=KioskForm(),
    )


@bp.get("/kiosk/sessions/<int:session_id>")
def detail(session_id: int) -> ResponseReturnValue:
    return _render_detail(_session_or_404(session_id), utcnow())


def _render_detail(
    target: Session, now: datetime, notice: str | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "signup/kiosk/session.html",
        session=target,
        now=now,
        enrolled=current_kiosk() is not None,
        closed_reason=_closed_reason(target, now) if target.activity.mode == Mode.SIGNUP else None,
        check_in=accepts_check_in(target, now),
        notice=notice,
        form=KioskForm(),
    ), status


@bp.route("/kiosk/sessions/<int:session_id>/phone", methods=["GET", "POST"])
def phone(session_id: int) -> ResponseReturnValue:
    target = _session_or_404(session_id)
    now = utcnow()
    closed = _closed_reason(target, now)
    if closed is not None:
        return _render_detail(target, now, closed, 409)
    state = state_for(target)
    error = None
    if request.method == "POST":
        posted_form()
        pressed = press_pad(state["digits"], request.form, MAX_DIGITS)
        regions = list(current_settings().phone_regions)
        try:
            done = phone_step(state, pressed, enrolled=current_kiosk() is not None, regions=regions)
        except HavehusError as problem:
            error = problem.message
        else:
            save_state(state)
            step = "kiosk.name" if done else "kiosk.phone"
            return redirect(url_for(step, session_id=target.id))
    save_state(state)
    return _render_phone(target, state, now, error)


def _render_phone(
    target: Session, state: KioskState, now: datetime, error: str | None
) -> ResponseReturnValue:
    return render_template(
        "signup/kiosk/phone.html",
        session=target,
        form=KioskForm(),
        shown=masked(state["digits"]),
        typed=len(state["digits"]),
        tail=state["digits"][-2:],
        enrolled=current_kiosk() is not None,
        error=error,
        now=now,
    ), (400 if error else 200)


@bp.route("/kiosk/sessions/<int:session_id>/name", methods=["GET", "POST"])
def name(session_id: int) -> ResponseReturnValue:
    target = _session_or_404(session_id)
    state = load_state()
    enrolled = current_kiosk() is not None
    if state.get("session_id") != target.id or not (state.get("phone") or state.get("no_phone")):
        return redirect(url_for("kiosk.phone", session_id=target.id))
    if state.get("no_phone") and not enrolled:  # the tablet was revoked meanwhile
        forget_screen()
        return redirect(url_for("kiosk.phone", session_id=target.id))
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted_form()
        try:
            return _sign_up_from_kiosk(target, state, enrolled)
        except HavehusError as problem:
            db.session.rollback()
            field = {"invalid_name": "name", "consent_required": "health_consent"}
            where = "guests" if "guests" in problem.fields else field.get(problem.code, "form")
            errors[where] = problem.message
    return render_template(
        "signup/kiosk/name.html",
        session=target,
        form=KioskForm(),
        has_phone=bool(state.get("phone")),
        guest_choices=guest_choices(),
        enrolled=enrolled,
        errors=errors,
        now=utcnow(),
    ), (400 if errors else 200)


def _sign_up_from_kiosk(target: Session, state: KioskState, enrolled: bool) -> ResponseReturnValue:
    """Book at once on an enrolled tablet (the person is in the house); elsewhere text a code."""
    now = utcnow()
    phone_number: str | None = state.get("phone")
    request_ = SignUp(
        person=Person(
            name=request.form.get("name", ""),
            phone=phone_number,
            language=current_language().code,
            channel="drop-in",
        ),
        source="kiosk",
        sms_consent=bool(phone_number) and request.form.get("sms_consent") == "y",
        health_consent=request.form.get("health_consent") == "y",
        wants_company=request.form.get("wants_company") == "y",
        guests=posted_guests(request.form.get("guests")),
    )
    services.check_health_consent(target, request_.health_consent)
    if enrolled:
        result = sign_up(db.session, target, request_, now, current_actor(), current_settings())
        db.session.commit()
        stopped = phone_number is not None and outgoing.opted_out(
            db.session, phone_number, current_settings()
        )
        return _finish(target, result, stopped=stopped)
    challenge, code = challenges.start(
        db.session, target, request_, client_ip(), now, current_settings()
    )
    db.session.commit()
    state.update({"challenge_id": challenge.id, "code": ""})
    if challenges.code_shown_on_screen(current_settings()):
        state["demo_code"] = code
    save_state(state)
    return redirect(url_for("kiosk.code"))


@bp.route("/kiosk/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    state = load_state()
    challenge_id = state.get("challenge_id")
    target = public_session(db.session, state.get("session_id") or 0) if challenge_id else None
    if challenge_id is None or target is None:
        return redirect(url_for("kiosk.start"))
    error = None
    if request.method == "POST":
        posted_form()
        pressed = press_pad(state.get("code", ""), request.form, CODE_DIGITS)
        state["code"] = pressed.digits
        if pressed.step == "next":
            try:
                result = _confirm_code(challenge_id, pressed.digits)
            except HavehusError as problem:
                if problem.code == "expired":
                    forget_screen()
                    return _render_detail(target, utcnow(), problem.message, 400)
                error, state["code"] = problem.message, ""
            else:
                return _finish(target, result)
        save_state(state)
        if error is None:
            return redirect(url_for("kiosk.code"))
    return render_template(
        "signup/kiosk/code.html",
        session=target,
        form=KioskForm(),
        shown=state.get("code", ""),
        demo_code=state.get("demo_code"),
        error=error,
        now=utcnow(),
    ), (400 if error else 200)


def _confirm_code(challenge_id: int, typed: str) -> services.BookingResult:
    """Book with the typed code; a wrong code's attempt is kept, so codes cannot be guessed."""
    try:
        result = challenges.confirm(
            db.session, challenge_id, typed, utcnow(), current_actor(), current_settings()
        )
    except HavehusError as problem:
        if problem.code == "wrong_code":
            db.session.commit()
        else:
            db.session.rollback()
        raise
    db.session.commit()
    return result


@bp.get("/kiosk/done")
def done() -> ResponseReturnValue:
    # Shown once: reloading, or the next person, gets the start page.
    outcome = session.pop(DONE_KEY, None)
    target = public_session(db.session, outcome["session_id"]) if outcome else None
    if target is None:
        return redirect(url_for("kiosk.start"))
    stop_advice = texts.opted_out_advice(current_settings()) if outcome.get("stopped") else None
    return render_template(
        "signup/kiosk/done.html",
        session=target,
        outcome=outcome,
        stop_advice=stop_advice,
        now=utcnow(),
    )
