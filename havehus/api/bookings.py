"""Bookings through the API, for partner systems that sign people up on their behalf."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from havehus.api import shapes
from havehus.api.fields import parse_body
from havehus.api.openapi import describe
from havehus.config import current_settings
from havehus.database import reads_first
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import default_language
from havehus.models import Booking, Session
from havehus.people.access import HOSTS, current_actor, token_required
from havehus.signup import services
from havehus.signup.sign_up import sign_up
from havehus.timeutil import utcnow


def _invalid(fields: dict[str, str]) -> ResponseReturnValue:
    return shapes.refuse("invalid", _("Some fields are not valid."), 422, fields)


@describe(
    "Book a person on a session (host, manager or admin token)",
    description="The same person (the same phone number) again gets the same booking, so a "
    "retried request books nobody twice; without a phone each request is a new person. "
    "Waitlisted when the session is full and has a waiting list.",
    token="role",
    body=shapes.BookingRequest,
    answers={
        201: ("Booked, or the same booking again.", shapes.Booking),
        404: ("No such session (code not_found).", shapes.Error),
        409: ("Full, and no waiting list (code full).", shapes.Error),
        422: (
            "Invalid fields (code invalid, with fields), e.g. health_consent for a sensitive "
            "activity, or a session that cannot be booked.",
            shapes.Error,
        ),
    },
)
@reads_first
@token_required(*HOSTS)
def create_booking(session_id: int) -> ResponseReturnValue:
    """Sign a person up; the same person again gets the same booking (201 either way)."""
    target = db.session.get(Session, session_id, options=[joinedload(Session.activity)])
    if target is None or target.activity.visibility == "staff":
        return shapes.refuse("not_found", _("There is no such session."), 404)
    try:
        request = parse_body(shapes.BookingRequest, phone_regions=current_settings().phone_regions)
    except HavehusError as error:
        return shapes.refuse(error.code, error.message, 422, error.fields)
    try:
        result = sign_up(
            db.session,
            target,
            request.sign_up(default_language()),
            utcnow(),
            current_actor(),
            current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        if error.code == "full":
            return shapes.refuse(error.code, error.message, 409)
        if error.code == "not_found":  # deleted while the request was on its way
            return shapes.refuse(error.code, error.message, 404)
        if error.fields:  # e.g. health_consent for a health appointment
            return _invalid(error.fields)
        return shapes.refuse(error.code, error.message, 422, {"session": error.message})
    booking = result.booking
    booking_id = None if result.discreet else booking.id
    guests = request.guests if result.discreet else booking.guests  # as asked: tells nothing
    # Read before the commit: after it, each would be loaded again in a transaction of its own.
    answer = shapes.Booking(
        id=booking_id, status=result.status, position=result.position, guests=guests
    )
    db.session.commit()
    return shapes.answer(answer, 201)


@describe(
    "Cancel a booking (host, manager or admin token)",
    description="Frees the seat at once; the first on the waiting list moves up and is told.",
    token="role",
    answers={
        204: ("Cancelled.", None),
        403: (
            "A health appointment, and the token is below manager (code forbidden).",
            shapes.Error,
        ),
        404: ("No such booking (code not_found).", shapes.Error),
    },
)
@token_required(*HOSTS)
def delete_booking(booking_id: int) -> ResponseReturnValue:
    """Cancel a booking (frees the seat at once; the waiting list moves up)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return shapes.refuse("not_found", _("There is no such booking."), 404)
    try:
        services.cancel(db.session, booking, utcnow(), current_actor(), current_settings())
    except HavehusError as error:
        db.session.rollback()
        return shapes.refuse(error.code, error.message, 403)
    db.session.commit()
    return "", 204
