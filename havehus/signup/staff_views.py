"""Staff sign people up on their behalf, see who is coming, confirm erasure requests and hand
over a person's copy of their data."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.messaging import outgoing
from havehus.models import Booking, BookingStatus, Participant, Session
from havehus.people.access import HOSTS, MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.signup import my_record, record_pdf, services, staff
from havehus.signup.forms import CHANNEL_LABELS, SearchForm, StaffBookingForm
from havehus.signup.phones import last_four
from havehus.signup.sign_up import sign_up
from havehus.timeutil import utcnow

bp = Blueprint("signup_staff", __name__, url_prefix="/staff")


def _names_visible(session: Session) -> bool:
    """Who booked a sensitive activity is shown to managers only; hosts see counts."""
    return services.sees_who_booked(current_actor(), session.activity)


def _form() -> StaffBookingForm:
    people = staff.companions(db.session)
    return StaffBookingForm(companions=[(u.id, u.name or u.email) for u in people])


def _render(
    target: Session, form: StaffBookingForm, status: int = 200, **extra: object
) -> tuple[str, int]:
    search = SearchForm(request.args)
    found = staff.search_participants(db.session, search.q.data or "") if search.q.data else []
    bookings = staff.session_bookings(db.session, target)
    names_visible = _names_visible(target)
    staff.log_sensitive_list(db.session, target, names_visible, utcnow(), current_actor())
    phones = [b.participant.phone for b in bookings] + [person.phone for person in found]
    return render_template(
        "signup/staff_bookings.html",
        session=target,
        form=form,
        search=search,
        found=found,
        bookings=bookings,
        names_visible=names_visible,
        opted_out=outgoing.opted_out_among(db.session, phones, current_settings()),
        confirm=ConfirmForm(),
        channels=CHANNEL_LABELS,
        last_four=last_four,
        counts={
            status: sum(b.seats for b in bookings if b.status == status)  # guests too
            for status in (
                BookingStatus.CONFIRMED,
                BookingStatus.OFFERED,
                BookingStatus.WAITLISTED,
                BookingStatus.ATTENDED,
                BookingStatus.NO_SHOW,
            )
        },
        **extra,
    ), status


@bp.route("/sessions/<int:session_id>/bookings", methods=["GET", "POST"])
@staff_required(*HOSTS)
def session_bookings(session_id: int) -> ResponseReturnValue:
    target = db.get_or_404(Session, session_id)
    form = _form()
    if request.method == "GET":
        return _render(target, form)
    if not form.validate_on_submit():
        return _render(target, form, 400)
    try:
        request_ = form.sign_up_request(current_settings().phone_regions)
        result = sign_up(
            db.session, target, request_, utcnow(), current_actor(), current_settings()
        )
    except HavehusError as error:
        db.session.rollback()
        if error.code == "full":
            return _render(target, form, 409, full=True)
        message = error.message
        if error.code == "consent_required":  # said to the host, not to the person
            message = _("Ask the person first, and tick that they agree to the registration.")
        field = {
            "invalid_phone": form.phone,
            "phone_refused": form.phone,
            "invalid_name": form.name,
            "consent_required": form.health_consent,
        }.get(error.code)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
        return _render(target, form, 400)
    db.session.commit()
    if result.status == BookingStatus.WAITLISTED:
        flash(_("Signed up on the waiting list as number %(n)d.", n=result.position or 0))
    elif not result.created and not result.discreet:
        flash(_("The person was signed up already."))
    else:
        flash(_("Signed up. The seat is taken."))
    return redirect(url_for("signup_staff.session_bookings", session_id=target.id))


@bp.post("/bookings/<int:booking_id>/cancel")
@staff_required(*HOSTS)
def cancel_booking(booking_id: int) -> ResponseReturnValue:
    booking = db.get_or_404(Booking, booking_id)
    if booking.session is None:  # a course's enrolment is not cancelled from a session page
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        promoted = services.cancel(
            db.session, booking, utcnow(), current_actor(), current_settings()
        )
    except HavehusError as error:
        db.session.rollback()
        abort(403, error.message)
    db.session.commit()
    flash(
        _("Cancelled. The first on the waiting list got the seat.")
        if promoted
        else _("Cancelled. The seat is free.")
    )
    phone = promoted.participant.phone if promoted else None
    if phone and outgoing.opted_out(db.session, phone, current_settings()):
        flash(_("They said STOP to texts, so nobody told them: tell them yourself."), "warning")
    return redirect(url_for("signup_staff.session_bookings", session_id=booking.session_id))


@bp.get("/people/erasure-requests")
@staff_required(*MANAGERS)
def erasure_requests() -> ResponseReturnValue:
    return render_template(
        "signup/erasure_requests.html",
        people=staff.erasure_requests(db.session),
        copies=my_record.copy_requests(db.session, current_actor()),
        form=ConfirmForm(),
    )


@bp.get("/people/<int:participant_id>/record.<fmt>")
@staff_required(*MANAGERS)
def participant_record(participant_id: int, fmt: str) -> ResponseReturnValue:
    """Everything about one person, as JSON or as a PDF in their language (audited)."""
    person = db.get_or_404(Participant, participant_id)
    if fmt not in my_record.FORMATS or person.anonymised_at is not None:
        abort(404)
    try:
        data = my_record.record(db.session, person, utcnow(), current_actor(), fmt)
    except HavehusError:
        abort(403)
    db.session.commit()
    name = f"havehus-{person.public_id}.{fmt}"
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return _attachment(body, "application/json", name)
    return _attachment(record_pdf.render(data, person.language), "application/pdf", name)


def _attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/people/<int:participant_id>/copy-handed-over")
@staff_required(*MANAGERS)
def copy_handed_over(participant_id: int) -> ResponseReturnValue:
    person = db.get_or_404(Participant, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        my_record.copy_handed_over(db.session, person, utcnow(), current_actor())
    except HavehusError:
        abort(403)
    db.session.commit()
    flash(_("The request for a copy is done."))
    return redirect(url_for("signup_staff.erasure_requests"))


@bp.post("/people/<int:participant_id>/erase")
@staff_required(*MANAGERS)
def erase(participant_id: int) -> ResponseReturnValue:
    person = db.get_or_404(Participant, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    staff.erase_participant(db.session, person, utcnow(), current_actor(), current_settings())
    db.session.commit()
    flash(_("The person's data is deleted."))
    return redirect(url_for("signup_staff.erasure_requests"))
