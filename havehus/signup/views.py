"""Public sign-up: the form, the texted code, the booking's own page, cancelling."""

from __future__ import annotations

from collections.abc import Callable
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
from wtforms import Field

from havehus.config import Settings, current_settings
from havehus.dbutil import db_int
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import current_language, offered_languages, use_participant_language
from havehus.models import Booking, Participant, Session, SignupChallenge
from havehus.orm import OrmSession
from havehus.people.access import client_ip, current_actor
from havehus.people.forms import ConfirmForm
from havehus.program.services import public_session
from havehus.signup import challenges, me, my_record, remind_me, services
from havehus.signup import seats as signup_seats
from havehus.signup import tokens as signup_tokens
from havehus.signup.forms import CodeForm, RemindForm, SignupForm
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person, SignUp
from havehus.timeutil import utcnow

bp = Blueprint("signup", __name__)

CHALLENGE_KEY = "signup_challenge"


def _bookable_session(session_id: int) -> Session:
    found = public_session(db.session, session_id)
    if found is None:
        abort(404)
    return found


def _ask_for_code(
    form: SignupForm | RemindForm,
    template: str,
    target: Session,
    check: Callable[[Session, datetime], None],
    start: Callable[
        [OrmSession, Session, SignUp, str, datetime, Settings], tuple[SignupChallenge, str]
    ],
    consent_field: Field,
    *,
    wants_company: bool = False,
    guests: int = 0,
    health_consent: bool = False,
) -> ResponseReturnValue:
    """The sign-up and remind-me forms: check the number, text a code, go to the code page."""
    now = utcnow()
    if request.method == "GET":
        form.language.data = current_language().code
    closed_reason = None
    try:
        check(target, now)
    except HavehusError as error:
        closed_reason = error.message
    if closed_reason is None and form.validate_on_submit():
        try:
            phone = normalise_phone(form.phone.data or "", current_settings().phone_regions)
            request_ = SignUp(
                person=Person(name=form.name.data or "", phone=phone, language=form.language.data),
                source="web",
                sms_consent=form.sms_consent.data,
                health_consent=health_consent,
                wants_company=wants_company,
                guests=guests,
            )
            challenge, code = start(
                db.session, target, request_, client_ip(), now, current_settings()
            )
        except HavehusError as error:
            db.session.rollback()
            field = {
                "invalid_phone": form.phone,
                "invalid_name": form.name,
                "consent_required": consent_field,
                "invalid": getattr(form, "guests", None) if "guests" in error.fields else None,
            }.get(error.code)
            if field is not None:
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            session[CHALLENGE_KEY] = challenge.id
            if challenges.code_shown_on_screen(current_settings()):
                session["signup_demo_code"] = code
            return redirect(url_for("signup.enter_code"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        template, form=form, session=target, closed_reason=closed_reason, now=now
    ), status


@bp.route("/sessions/<int:session_id>/signup", methods=["GET", "POST"])
def signup(session_id: int) -> ResponseReturnValue:
    form = SignupForm()
    return _ask_for_code(
        form,
        "signup/form.html",
        _bookable_session(session_id),
        lambda target, now: services.check_bookable(
            target, now, staff=False, settings=current_settings()
        ),
        challenges.start,
        form.health_consent,
        wants_company=form.wants_company.data,
        guests=form.guests.data,
        health_consent=form.health_consent.data,
    )


@bp.route("/sessions/<int:session_id>/remind", methods=["GET", "POST"])
def remind(session_id: int) -> ResponseReturnValue:
    """ "Remind me" for a drop-in session: prove the number with a code, then we text later."""
    form = RemindForm()
    return _ask_for_code(
        form,
        "signup/remind.html",
        _bookable_session(session_id),
        remind_me.check_remindable,
        remind_me.start,
        form.sms_consent,
    )


def _confirm_reminder(challenge: SignupChallenge, code: str) -> ResponseReturnValue:
    now = utcnow()
    person, reminder = remind_me.confirm(db.session, challenge.id, code, now)
    token = me.personal_token(db.session, person, now, current_settings())
    db.session.commit()
    session.pop(CHALLENGE_KEY, None)
    session.pop("signup_demo_code", None)
    return redirect(url_for("signup.my_bookings", token=token, reminded=reminder.session_id))


@bp.route("/signup/code", methods=["GET", "POST"])
def enter_code() -> ResponseReturnValue:
    challenge_id = session.get(CHALLENGE_KEY)
    challenge = db.session.get(SignupChallenge, challenge_id) if challenge_id else None
    if challenge is None:
        return redirect(url_for("program.index"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            if remind_me.is_reminder_challenge(challenge):
                return _confirm_reminder(challenge, form.code.data or "")
            result = challenges.confirm(
                db.session,
                challenge.id,
                form.code.data or "",
                utcnow(),
                current_actor(),
                current_settings(),
            )
        except HavehusError as error:
            if error.code == "wrong_code":
                db.session.commit()  # keep the attempt count: codes cannot be guessed
            else:
                db.session.rollback()
            if error.code == "expired":
                session.pop(CHALLENGE_KEY, None)
            form.code.errors = [*form.code.errors, error.message]
        else:
            token = signup_tokens.booking_token(result.booking, current_settings())
            db.session.commit()
            session.pop(CHALLENGE_KEY, None)
            session.pop("signup_demo_code", None)
            return redirect(url_for("signup.booking", token=token, new=1))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "signup/code.html",
        form=form,
        challenge=challenge,
        reminder=remind_me.is_reminder_challenge(challenge),
        demo_code=session.get("signup_demo_code"),
    ), status


def _booking_or_404(token: str) -> tuple[Booking, Session]:
    """The booking of a link, and the session it is about (a course's next or last one)."""
    booking = signup_tokens.find_booking_by_token(db.session, token)
    if booking is None:
        abort(404)
    use_participant_language(booking.participant.language)
    session = signup_seats.session_of(
        db.session, booking, utcnow()
    ) or signup_seats.last_session_of(db.session, booking)
    if session is None:
        abort(404)
    return booking, session


@bp.get("/bookings/<token>")
def booking(token: str) -> ResponseReturnValue:
    found, target = _booking_or_404(token)
    return render_template(
        "signup/booking.html",
        booking=found,
        session=target,
        token=token,
        position=signup_seats.waitlist_position(db.session, found),
        is_new=request.args.get("new") == "1",
        now=utcnow(),
        form=ConfirmForm(),
        me_token=me.existing_personal_token(db.session, found.participant, current_settings()),
    )


@bp.route("/bookings/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str) -> ResponseReturnValue:
    found, target = _booking_or_404(token)
    form = ConfirmForm()
    # Only the POST from this page cancels: phones and link scanners fetch links by themselves.
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.cancel(db.session, found, utcnow(), current_actor(), current_settings())
        db.session.commit()
        return redirect(url_for("signup.booking", token=token))
    return render_template(
        "signup/cancel.html", booking=found, session=found.session, form=form, token=token
    )


def _person_or_404(token: str) -> Participant:
    person = me.find_person(db.session, token)
    if person is None:
        abort(404)
    return person


@bp.get("/me/<token>")
def my_bookings(token: str) -> ResponseReturnValue:
    person = _person_or_404(token)
    now = utcnow()
    use_participant_language(person.language)  # the page speaks the person's language
    bookings = me.upcoming_bookings(db.session, person, now)
    reminders = [
        (r, remind_me.session_of(db.session, r))
        for r in remind_me.upcoming(db.session, person, now)
    ]
    return render_template(
        "signup/me.html",
        reminders=reminders,
        reminded=request.args.get("reminded", type=db_int),
        person=person,
        bookings=[(b, signup_seats.session_of(db.session, b, now)) for b in bookings],
        token=token,
        links={b.id: signup_tokens.existing_booking_token(b, current_settings()) for b in bookings},
        form=ConfirmForm(),
        languages=offered_languages(),
        now=now,
    )


@bp.post("/me/<token>/language")
def my_language(token: str) -> ResponseReturnValue:
    person = _person_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        me.set_language(db.session, person, request.form.get("language", ""))
    except HavehusError:
        abort(400)
    db.session.commit()
    response = redirect(url_for("signup.my_bookings", token=token, lang=person.language))
    return response


@bp.post("/me/<token>/reminders/<int:request_id>/withdraw")
def my_reminder_withdraw(token: str, request_id: int) -> ResponseReturnValue:
    """ "Don't remind me" for one drop-in session."""
    person = _person_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not remind_me.withdraw(db.session, person, request_id, utcnow()):
        abort(404)
    db.session.commit()
    return redirect(url_for("signup.my_bookings", token=token))


@bp.post("/me/<token>/erase")
def my_erasure(token: str) -> ResponseReturnValue:
    person = _person_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    me.request_erasure(db.session, person, utcnow(), client_ip())
    db.session.commit()
    return redirect(url_for("signup.my_bookings", token=token))


@bp.post("/me/<token>/copy")
def my_copy(token: str) -> ResponseReturnValue:
    """Ask for a copy of everything the house holds about me (a manager hands it over)."""
    person = _person_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    my_record.request_copy(db.session, person, utcnow(), client_ip())
    db.session.commit()
    return redirect(url_for("signup.my_bookings", token=token))


@bp.post("/bookings/<token>/accept")
def accept(token: str) -> ResponseReturnValue:
    found, _target = _booking_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    signup_seats.accept_offer(db.session, found, utcnow(), current_settings())
    db.session.commit()
    return redirect(url_for("signup.booking", token=token))
