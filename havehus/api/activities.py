"""The program API for partner systems: activities and cancelling a session (/api/v1/...).

Reading needs any live token (a partner token sees public and partner activities); changing
needs a manager's (or an administrator's) token. Bodies and answers are JSON; errors carry a
stable code: 401/403 (token), 404, 409 exists|conflict|archived|already_cancelled|past,
422 invalid with a message per field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from typing import Any, cast

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from havehus.api.views import bp
from havehus.errors import HavehusError, json_error
from havehus.extensions import db
from havehus.models import Activity, ApiToken, Location, Room, Session
from havehus.people.access import MANAGERS, bearer_token, current_actor, token_required
from havehus.program.activities import create_activity, update_activity
from havehus.program.activity_data import ActivityData, activity_data
from havehus.program.sessions import cancel_session
from havehus.timeutil import house_tz, utcnow

#: HTTP status of each planner error code (anything else is 422).
STATUS_OF = {
    "exists": 409,
    "conflict": 409,
    "archived": 409,
    "already_cancelled": 409,
    "past": 409,
    "not_cancelled": 409,
}
_TEXT_FIELDS = ("title", "summary", "neutral_title", "price_text")
_BOOL_FIELDS = (
    "sensitive",
    "walk_ins_welcome",
    "waitlist_enabled",
    "women_only",
    "childcare",
    "food_served",
    "step_free",
)
_CHOICE_FIELDS = ("category", "activity_type", "mode", "visibility", "offer_policy")
_LIST_FIELDS = ("theme_tags", "spoken_languages", "interpreter_languages")


def activity_json(activity: Activity) -> dict[str, Any]:
    """An activity as the API shows it (no participant data, ever)."""
    return {
        "id": activity.id,
        "slug": activity.slug,
        "title": activity.title,
        "summary": activity.summary,
        "category": activity.category,
        "activity_type": activity.activity_type,
        "mode": activity.mode,
        "capacity": activity.capacity,
        "visibility": activity.visibility,
        "sensitive": activity.sensitive,
        "location": activity.location.name if activity.location else None,
        "room": activity.room.name if activity.room else None,
        "rrule": activity.rrule,
        "starts_on": activity.starts_on.isoformat(),
        "start_time": activity.start_time.strftime("%H:%M"),
        "duration_minutes": activity.duration_minutes,
        "version": activity.version,
        "archived": activity.archived_at is not None,
    }


def _error(error: HavehusError) -> ResponseReturnValue:
    status = STATUS_OF.get(error.code, 422)
    extra: dict[str, Any] = {"fields": error.fields} if error.fields else {}
    return json_error(error.code, error.message, status, **extra)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise HavehusError(_("Send a JSON object."), "invalid", fields={"body": _("Not JSON.")})
    return body


def _place(text: str) -> tuple[int | None, int | None]:
    """(location id, room id) for a free-text place: a room's or a location's name or address."""
    wanted = text.strip().lower()
    room = db.session.scalar(select(Room).where(func.lower(Room.name) == wanted))
    if room is not None:
        return room.location_id, room.id
    location = db.session.scalar(
        select(Location).where(
            or_(
                func.lower(Location.name) == wanted,
                func.lower(Location.slug) == wanted,
                func.lower(Location.address) == wanted,
            )
        )
    )
    if location is None:
        names = db.session.scalars(select(Location.name).order_by(Location.name)).all()
        message = _("Unknown place. Use a room or a location: %(names)s.", names=", ".join(names))
        raise HavehusError(message, "invalid", fields={"location": message})
    return location.id, None


def _apply(data: ActivityData, body: dict[str, Any]) -> ActivityData:
    """The data with the body's fields applied; wrong types become field errors."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "slug" in body:
        changes["slug"] = body["slug"] if isinstance(body["slug"], str) else ""
    for name in _TEXT_FIELDS:
        if name in body:
            value = body[name]
            if isinstance(value, str):
                value = {"da": value}
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                errors[name] = _("Give an object of language code → text.")
            else:
                changes[name] = value
    for name in _CHOICE_FIELDS:
        if name in body:
            changes[name] = body[name] if isinstance(body[name], str) else ""
    for name in _BOOL_FIELDS:
        if name in body:
            if isinstance(body[name], bool):
                changes[name] = body[name]
            else:
                errors[name] = _("Must be true or false.")
    for name in _LIST_FIELDS:
        if name in body:
            value = body[name]
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                changes[name] = value
            else:
                errors[name] = _("Give a list of texts.")
    for name in ("capacity", "duration_minutes", "offer_hold_hours"):
        if name in body:
            value = body[name]
            if value is None and name == "capacity":
                changes[name] = None
            elif isinstance(value, int) and not isinstance(value, bool):
                changes[name] = value
            else:
                errors[name] = _("Must be a whole number.")
    if "reminder_offsets" in body:
        value = body["reminder_offsets"]
        if isinstance(value, list) and all(isinstance(item, int) for item in value):
            changes["reminder_offsets"] = value
        else:
            errors["reminder_offsets"] = _("Give a list of minutes.")
    if "rrule" in body:
        value = body["rrule"]
        if value is None or isinstance(value, str):
            changes["rrule"] = value or None
        else:
            errors["rrule"] = _("Give an RRULE text, or null for a single date.")
    if "starts_on" in body:
        try:
            changes["starts_on"] = date.fromisoformat(str(body["starts_on"]))
        except ValueError:
            errors["starts_on"] = _("Not a date; use YYYY-MM-DD.")
    if "start_time" in body:
        try:
            changes["start_time"] = time.fromisoformat(str(body["start_time"]))
        except ValueError:
            errors["start_time"] = _("Not a time; use HH:MM.")
    if "location" in body:
        if body["location"] in (None, ""):
            changes["location_id"], changes["room_id"] = None, None
        elif isinstance(body["location"], str):
            try:
                changes["location_id"], changes["room_id"] = _place(body["location"])
            except HavehusError as error:
                errors.update(error.fields)
        else:
            errors["location"] = _("Give the place as text.")
    if errors:
        raise HavehusError(_("Some fields are not valid."), "invalid", fields=errors)
    return replace(data, **changes)


def _visible(activity: Activity, token: ApiToken) -> bool:
    if token.role in MANAGERS:
        return True
    return activity.visibility in ("public", "partners") and activity.archived_at is None


@bp.get("/activities")
@token_required()
def activities() -> ResponseReturnValue:
    """Every activity the token may see, by slug."""
    token = cast(ApiToken, bearer_token())
    query = select(Activity).order_by(Activity.slug)
    if token.role not in MANAGERS:
        query = query.where(
            Activity.visibility.in_(("public", "partners")), Activity.archived_at.is_(None)
        )
    return jsonify([activity_json(a) for a in db.session.scalars(query)])


@bp.post("/activities")
@token_required(*MANAGERS)
def activity_create() -> ResponseReturnValue:
    """Create an activity; its sessions are created up to the planning horizon at once."""
    try:
        data = _apply(ActivityData(), _body())
        activity, _summary = create_activity(
            db.session,
            data,
            utcnow(),
            current_actor(),
            tz=house_tz(),
            horizon_weeks=int(current_app.config["HAVEHUS_HORIZON_WEEKS"]),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    response = jsonify(id=activity.id, slug=activity.slug)
    response.headers["Location"] = url_for("api.activity_detail", slug=activity.slug)
    return response, 201


def _find(slug: str) -> Activity | None:
    return db.session.scalar(select(Activity).where(Activity.slug == slug))


@bp.get("/activities/<slug>")
@token_required()
def activity_detail(slug: str) -> ResponseReturnValue:
    activity = _find(slug)
    if activity is None or not _visible(activity, cast(ApiToken, bearer_token())):
        return json_error("not_found", _("There is no such activity."), 404)
    return jsonify(activity_json(activity))


@bp.patch("/activities/<slug>")
@token_required(*MANAGERS)
def activity_update(slug: str) -> ResponseReturnValue:
    """Change some fields; new times apply to every coming session (booked ones are moved
    and their participants told). Send "version" to refuse a save over someone else's."""
    activity = _find(slug)
    if activity is None:
        return json_error("not_found", _("There is no such activity."), 404)
    try:
        body = _body()
        version = body.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise HavehusError(
                _("Some fields are not valid."),
                "invalid",
                fields={"version": _("Must be a whole number.")},
            )
        data = _apply(activity_data(activity), body)
        summary = update_activity(
            db.session,
            activity,
            data,
            utcnow(),
            current_actor(),
            expected_version=version,
            tz=house_tz(),
            horizon_weeks=int(current_app.config["HAVEHUS_HORIZON_WEEKS"]),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    return jsonify({**activity_json(activity), "notices": summary.notices})


@bp.post("/sessions/<int:session_id>/cancel")
@token_required(*MANAGERS)
def session_cancel(session_id: int) -> ResponseReturnValue:
    """Cancel one session with {"reason"}; its participants get a change text."""
    session = db.session.get(Session, session_id)
    if session is None:
        return json_error("not_found", _("There is no such session."), 404)
    try:
        body = _body()
        reason = body.get("reason")
        summary = cancel_session(
            db.session,
            session,
            reason if isinstance(reason, str) else "",
            utcnow(),
            current_actor(),
            tz=house_tz(),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    return jsonify(
        id=session.id,
        status=session.status,
        sequence=session.sequence,
        notices=summary.notices,
    )
