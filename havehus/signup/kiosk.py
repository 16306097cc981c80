"""The kiosk: a tablet in the house that shows the coming days and signs people up.

Any browser may open /kiosk: it shows only the public program. An *enrolled* tablet (its
device cookie, see people.access.current_kiosk) additionally books at once, without the
texted code, also for people without a phone, and counts anonymous "I am here" visits.

The sign-up steps keep their state in the Flask session under one key. Showing the start
page drops it, so an idle reset (the pages' 60 s refresh, or kiosk.js) forgets the number
and the name on the server too. Nothing that names a person is ever rendered: the number pad
shows only the last two digits, and the done screen only the activity and the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import current_language
from havehus.messaging import outgoing
from havehus.models import Mode, Session, SessionStatus, Tally
from havehus.people.access import client_ip, current_actor, current_kiosk
from havehus.program.services import (
    ProgramEntry,
    group_entries,
    public_session,
    public_sessions_between,
)
from havehus.signup import challenges, services, texts
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person, SignUp, sign_up
from havehus.timeutil import house_tz, utcnow

bp = Blueprint("kiosk", __name__)

#: The Flask-session key of the sign-up in progress on this screen.
STATE_KEY = "kiosk"
#: The Flask-session key of the outcome the done (or thank-you) screen shows once.
DONE_KEY = "kiosk_done"
#: Days shown after today.
DAYS_AHEAD = 6
#: "I am here" is offered from this long before the start until the end.
CHECK_IN_EARLY = timedelta(minutes=30)
#: Longest number the pad accepts (E.164 has at most 15 digits).
MAX_DIGITS = 15
CODE_DIGITS = 6


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class KioskDay:
    day: date
    is_today: bool
    entries: list[ProgramEntry]


def kiosk_days(orm: OrmSession, now: datetime, tz: ZoneInfo) -> list[KioskDay]:
    """Today and the next six days, each with its public sessions that have not ended.

    A session that began yesterday and is still on (an evening running past midnight) is
    listed under today: it is what is on now.
    """
    today = now.astimezone(tz).date()
    by_day: dict[date, list[Session]] = {
        today + timedelta(days=offset): [] for offset in range(DAYS_AHEAD + 1)
    }
    yesterday = today - timedelta(days=1)
    for found in public_sessions_between(orm, yesterday, today + timedelta(days=DAYS_AHEAD), tz):
        if found.ends_at > now:
            by_day[max(found.starts_at.astimezone(tz).date(), today)].append(found)
    # An activity's sessions on one day (vaccination time slots) share one card.
    return [
        KioskDay(day=day, is_today=day == today, entries=group_entries(found))
        for day, found in by_day.items()
    ]


def accepts_check_in(target: Session, now: datetime) -> bool:
    """Whether people who just come may say "I am here" for this session now."""
    activity = target.activity
    welcomes = activity.mode == Mode.DROP_IN or (
        activity.mode == Mode.SIGNUP and activity.walk_ins_welcome
    )
    return (
        welcomes
        and target.status == SessionStatus.SCHEDULED
        and target.starts_at - CHECK_IN_EARLY <= now < target.ends_at
    )


def count_walk_in(orm: OrmSession, target: Session, now: datetime) -> None:
    """Add one anonymous adult to the session's tally, in one statement (no read-modify-write)."""
    module = postgresql if orm.get_bind().dialect.name == "postgresql" else sqlite
    table = Tally.__table__
    statement = module.insert(table).values(
        session_id=target.id, kind="adults", count=1, updated_at=now
    )
    orm.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.session_id, table.c.kind],
            set_={"count": table.c.count + 1, "updated_at": now},
        )
    )


def masked(digits: str) -> str:
    """The typed number with all but its last two digits hidden."""
    return "•" * max(len(digits) - 2, 0) + digits[-2:]


def apply_keys(digits: str, keys: str, limit: int) -> str:
    """Digits after a run of key presses: 0-9 and "+" type, "<" deletes the last one."""
    for key in keys:
        if key == "<":
            digits = digits[:-1]
        elif (key.isdigit() and key.isascii()) or (key == "+" and not digits):
            if len(digits) < limit:
                digits += key
    return digits


# ---------------------------------------------------------------- helpers for the views


class KioskForm(FlaskForm):
    """Only the CSRF token: the pads' buttons carry their own name and value."""


def _state() -> dict[str, Any]:
    return dict(session.get(STATE_KEY) or {})


def _save(state: dict[str, Any]) -> None:
    session[STATE_KEY] = state


def _forget() -> None:
    session.pop(STATE_KEY, None)
    session.pop(DONE_KEY, None)


def _session_or_404(session_id: int) -> Session:
    found = public_session(db.session, session_id)
    if found is None:
        abort(404)
    return found


def _state_for(target: Session) -> dict[str, Any]:
    """The sign-up state if it belongs to this session; a fresh one otherwise."""
    state = _state()
    if state.get("session_id") != target.id:
        state = {"session_id": target.id, "digits": "", "no_phone": False}
    return state


def _closed_reason(target: Session, now: datetime) -> str | None:
    try:
        services.check_bookable(target, now, staff=False)
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


# ---------------------------------------------------------------- views


@bp.get("/kiosk")
def start() -> ResponseReturnValue:
    _forget()  # an idle reset lands here: nothing of the last person stays, here or on screen
    now = utcnow()
    return render_template(
        "kiosk/start.html",
        days=kiosk_days(db.session, now, house_tz()),
        now=now,
        enrolled=current_kiosk() is not None,
        accepts_check_in=accepts_check_in,
        form=KioskForm(),
    )


@bp.get("/kiosk/sessions/<int:session_id>")
def detail(session_id: int) -> ResponseReturnValue:
    target = _session_or_404(session_id)
    now = utcnow()
    return _render_detail(target, now)


def _render_detail(target: Session, now: datetime, notice: str | None = None, status: int = 200):
    return render_template(
        "kiosk/session.html",
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
    enrolled = current_kiosk() is not None
    state = _state_for(target)
    form = KioskForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        digits = apply_keys(state["digits"], request.form.get("keys", ""), MAX_DIGITS)
        digits = apply_keys(digits, request.form.get("digit", ""), MAX_DIGITS)
        step = request.form.get("step", "")
        if step == "delete":
            digits = digits[:-1]
        elif step == "clear":
            digits = ""
        state.update(digits=digits, no_phone=False)
        if step == "no_phone":
            if enrolled:
                state.update(digits="", no_phone=True)
                _save(state)
                return redirect(url_for("kiosk.name", session_id=target.id))
            error = _("Without a mobile phone, please ask the host in the house to sign you up.")
        elif step == "next":
            try:
                state["phone"] = normalise_phone(
                    digits, current_app.config["HAVEHUS_PHONE_REGIONS"]
                )
            except HavehusError as problem:
                error = problem.message
            else:
                _save(state)
                return redirect(url_for("kiosk.name", session_id=target.id))
        _save(state)
        if error is None:
            return redirect(url_for("kiosk.phone", session_id=target.id))
    else:
        _save(state)
    return render_template(
        "kiosk/phone.html",
        session=target,
        form=form,
        shown=masked(state["digits"]),
        typed=len(state["digits"]),
        tail=state["digits"][-2:],
        enrolled=enrolled,
        error=error,
        now=now,
    ), (400 if error else 200)


@bp.route("/kiosk/sessions/<int:session_id>/name", methods=["GET", "POST"])
def name(session_id: int) -> ResponseReturnValue:
    target = _session_or_404(session_id)
    now = utcnow()
    state = _state()
    device = current_kiosk()
    has_phone = bool(state.get("phone"))
    if state.get("session_id") != target.id or not (has_phone or state.get("no_phone")):
        return redirect(url_for("kiosk.phone", session_id=target.id))
    if state.get("no_phone") and device is None:  # the tablet was revoked meanwhile
        _forget()
        return redirect(url_for("kiosk.phone", session_id=target.id))
    form = KioskForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        typed_name = request.form.get("name", "")
        sms_consent = has_phone and request.form.get("sms_consent") == "y"
        health_consent = request.form.get("health_consent") == "y"
        wants_company = request.form.get("wants_company") == "y"
        language = current_language().code
        try:
            services.check_health_consent(target, health_consent)
            if device is not None:
                return _book_at_once(
                    target, now, typed_name, state.get("phone"), language,
                    sms_consent=sms_consent, health_consent=health_consent,
                    wants_company=wants_company,
                )  # fmt: skip
            challenge, code = challenges.start(
                db.session,
                target,
                challenges.SignupRequest(
                    name=typed_name,
                    phone=state["phone"],
                    language=language,
                    wants_company=wants_company,
                    sms_consent=sms_consent,
                    health_consent=health_consent,
                ),
                client_ip(),
                now,
            )
        except HavehusError as problem:
            db.session.rollback()
            field = {"invalid_name": "name", "consent_required": "health_consent"}.get(
                problem.code, "form"
            )
            errors[field] = problem.message
        else:
            db.session.commit()
            state.update(challenge_id=challenge.id, code="")
            if challenges.code_shown_on_screen():
                state["demo_code"] = code
            _save(state)
            return redirect(url_for("kiosk.code"))
    return render_template(
        "kiosk/name.html",
        session=target,
        form=form,
        has_phone=has_phone,
        enrolled=device is not None,
        errors=errors,
        now=now,
    ), (400 if errors else 200)


def _book_at_once(
    target: Session,
    now: datetime,
    typed_name: str,
    phone_number: str | None,
    language: str,
    *,
    sms_consent: bool,
    health_consent: bool,
    wants_company: bool,
) -> ResponseReturnValue:
    """On an enrolled tablet: the person is in the house, so the booking needs no code."""
    who = Person(name=typed_name, phone=phone_number, language=language, channel="drop-in")
    request = SignUp(
        person=who, source="kiosk", sms_consent=sms_consent,
        health_consent=health_consent, wants_company=wants_company,
    )  # fmt: skip
    result = sign_up(db.session, target, request, now, current_actor())
    db.session.commit()
    stopped = phone_number is not None and outgoing.opted_out(db.session, phone_number)
    return _finish(target, result, stopped=stopped)


@bp.route("/kiosk/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    state = _state()
    challenge_id = state.get("challenge_id")
    target = public_session(db.session, state.get("session_id") or 0) if challenge_id else None
    if target is None:
        return redirect(url_for("kiosk.start"))
    form = KioskForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        typed = apply_keys(state.get("code", ""), request.form.get("keys", ""), CODE_DIGITS)
        typed = apply_keys(typed, request.form.get("digit", ""), CODE_DIGITS)
        step = request.form.get("step", "")
        if step == "delete":
            typed = typed[:-1]
        elif step == "clear":
            typed = ""
        state["code"] = typed
        if step == "next":
            try:
                result = challenges.confirm(
                    db.session, challenge_id, typed, utcnow(), current_actor()
                )
            except HavehusError as problem:
                if problem.code == "wrong_code":
                    db.session.commit()  # keep the attempt count: codes cannot be guessed
                else:
                    db.session.rollback()
                if problem.code == "expired":
                    _forget()
                    return _render_detail(target, utcnow(), problem.message, 400)
                error = problem.message
                state["code"] = ""
            else:
                db.session.commit()
                return _finish(target, result)
        _save(state)
        if error is None:
            return redirect(url_for("kiosk.code"))
    return render_template(
        "kiosk/code.html",
        session=target,
        form=form,
        shown=state.get("code", ""),
        demo_code=state.get("demo_code"),
        error=error,
        now=utcnow(),
    ), (400 if error else 200)


@bp.get("/kiosk/done")
def done() -> ResponseReturnValue:
    # Shown once: reloading, or the next person, gets the start page.
    outcome = session.pop(DONE_KEY, None)
    target = public_session(db.session, outcome["session_id"]) if outcome else None
    if target is None:
        return redirect(url_for("kiosk.start"))
    stop_advice = texts.opted_out_advice() if outcome.get("stopped") else None
    return render_template(
        "kiosk/done.html", session=target, outcome=outcome, stop_advice=stop_advice, now=utcnow()
    )


@bp.post("/kiosk/sessions/<int:session_id>/here")
def here(session_id: int) -> ResponseReturnValue:
    target = _session_or_404(session_id)
    if current_kiosk() is None:
        abort(403)  # only a tablet in the house can tell that someone is here
    now = utcnow()
    if not accepts_check_in(target, now):
        return _render_detail(target, now, _("You can say you are here while it is on."), 409)
    count_walk_in(db.session, target, now)
    db.session.commit()
    session[DONE_KEY] = {"kind": "here", "session_id": target.id}
    return redirect(url_for("kiosk.done"))
