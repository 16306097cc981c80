"""Bookings through the API, for partner systems that sign people up on their behalf."""

from __future__ import annotations

from typing import Any, cast

from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.api.views import bp
from havehus.errors import HavehusError, json_error
from havehus.extensions import db
from havehus.i18n import KNOWN_LANGUAGES, default_language
from havehus.models import ApiToken, Booking, Session
from havehus.models.people import CHANNELS
from havehus.people.access import HOSTS, bearer_token, current_actor, token_required
from havehus.signup import services
from havehus.signup.phones import normalise_phone
from havehus.timeutil import utcnow


def _invalid(fields: dict[str, str]) -> ResponseReturnValue:
    return json_error("invalid", _("Some fields are not valid."), 422, fields=fields)


def _parse(body: Any, target: Session) -> tuple[dict[str, Any], dict[str, str]]:
    """The booking request's fields, checked against the session; and the field errors."""
    fields: dict[str, str] = {}
    if not isinstance(body, dict):
        return {}, {"body": _("Send a JSON object.")}
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
    if target.activity.sensitive and "health_consent" not in fields and not flags["health_consent"]:
        fields["health_consent"] = _(
            "Required for this activity: true when the person agreed that the booking is "
            "registered."
        )
    parsed = {
        "name": name,
        "phone": normalised,
        "language": language,
        "channel": channel,
        **flags,
    }
    return parsed, fields


@bp.post("/sessions/<int:session_id>/bookings")
@token_required(*HOSTS)
def create_booking(session_id: int) -> ResponseReturnValue:
    """Sign a person up; the same person again gets the same booking (201 either way)."""
    token = cast(ApiToken, bearer_token())
    target = db.session.get(Session, session_id)
    if target is None or target.activity.visibility == "staff":
        return json_error("not_found", _("There is no such session."), 404)
    parsed, fields = _parse(request.get_json(silent=True), target)
    if fields:
        return _invalid(fields)
    now = utcnow()
    actor = current_actor()
    try:
        person = services.find_or_create_participant(
            db.session,
            name=parsed["name"],
            phone=parsed["phone"],
            language=parsed["language"],
            channel=parsed["channel"],
            now=now,
        )
        for kind in ("sms", "health"):
            if parsed[f"{kind}_consent"]:
                services.record_consent(
                    db.session, person, kind, now, recorded_by_token_id=token.id
                )
        result = services.book(
            db.session, target, person, now, actor, source="api",
            wants_company=parsed["wants_company"],
        )  # fmt: skip
    except HavehusError as error:
        db.session.rollback()
        if error.code == "full":
            return json_error(error.code, error.message, 409)
        return json_error(
            error.code, error.message, 422, fields=error.fields or {"session": error.message}
        )
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
