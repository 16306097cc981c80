"""Bookings through the API, for partner systems that sign people up on their behalf."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.api.views import bp
from havehus.errors import HavehusError, json_error
from havehus.extensions import db
from havehus.i18n import KNOWN_LANGUAGES, default_language
from havehus.models import Booking, Session
from havehus.models.people import CHANNELS
from havehus.people.access import HOSTS, current_actor, token_required
from havehus.signup import services
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person, SignUp, sign_up
from havehus.timeutil import utcnow


def _invalid(fields: dict[str, str]) -> ResponseReturnValue:
    return json_error("invalid", _("Some fields are not valid."), 422, fields=fields)


def _parse(body: Any) -> tuple[SignUp | None, dict[str, str]]:
    """The booking request as a sign-up on the person's behalf; or the field errors."""
    fields: dict[str, str] = {}
    if not isinstance(body, dict):
        return None, {"body": _("Send a JSON object.")}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        fields["name"] = _("Required: a first name or nickname.")
    phone = body.get("phone")
    normalised = None
    if phone not in (None, ""):
        if not isinstance(phone, str):
            fields["phone"] = _("Must be text.")
        else:
            try:
                normalised = normalise_phone(phone, current_app.config["HAVEHUS_PHONE_REGIONS"])
            except HavehusError as error:
                fields["phone"] = error.message
    language = body.get("language") or default_language()
    if language not in KNOWN_LANGUAGES:
        fields["language"] = _("Unknown language.")
    channel = body.get("channel") or "other"
    if channel not in CHANNELS:
        fields["channel"] = _("Must be one of: %(values)s.", values=", ".join(CHANNELS))
    flags = {}
    for key in ("wants_company", "sms_consent", "health_consent"):
        value = body.get(key, False)
        if not isinstance(value, bool):
            fields[key] = _("Must be true or false.")
        flags[key] = value is True
    if flags["sms_consent"] and not normalised:
        fields["sms_consent"] = _("Consent to text messages needs a phone number.")
    if fields:
        return None, fields
    request = SignUp(
        person=Person(name=name, phone=normalised, language=language, channel=channel),
        source="api",
        sms_consent=flags["sms_consent"],
        health_consent=flags["health_consent"],
        wants_company=flags["wants_company"],
    )
    return request, {}


@bp.post("/sessions/<int:session_id>/bookings")
@token_required(*HOSTS)
def create_booking(session_id: int) -> ResponseReturnValue:
    """Sign a person up; the same person again gets the same booking (201 either way)."""
    target = db.session.get(Session, session_id)
    if target is None or target.activity.visibility == "staff":
        return json_error("not_found", _("There is no such session."), 404)
    signing_up, fields = _parse(request.get_json(silent=True))
    if signing_up is None:
        return _invalid(fields)
    try:
        result = sign_up(db.session, target, signing_up, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        if error.code == "full":
            return json_error(error.code, error.message, 409)
        if error.fields:  # e.g. health_consent for a health appointment
            return _invalid(error.fields)
        return json_error(error.code, error.message, 422, fields={"session": error.message})
    db.session.commit()
    booking = result.booking
    return {"id": booking.id, "status": booking.status, "position": result.position}, 201


@bp.delete("/bookings/<int:booking_id>")
@token_required(*HOSTS)
def delete_booking(booking_id: int) -> ResponseReturnValue:
    """Cancel a booking (frees the seat at once; the waiting list moves up)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return json_error("not_found", _("There is no such booking."), 404)
    services.cancel(db.session, booking, utcnow(), current_actor())
    db.session.commit()
    return "", 204
