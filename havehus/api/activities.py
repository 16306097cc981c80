"""The program API for partner systems: activities and cancelling a session (/api/v1/...).

Reading needs any live token (a partner token sees public and partner activities); changing
needs a manager's (or an administrator's) token. Bodies and answers are JSON; errors carry a
stable code: 401/403 (token), 404, 409 exists|conflict|archived|already_cancelled|past,
422 invalid with a message per field.
"""

from __future__ import annotations

from typing import cast

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.api import shapes
from havehus.api.fields import parse_body
from havehus.api.openapi import describe
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Activity, ApiToken, Session
from havehus.people.access import MANAGERS, bearer_token, current_actor, token_required
from havehus.program.activities import create_activity, update_activity
from havehus.program.activity_data import ActivityData, activity_data
from havehus.program.places import find_place
from havehus.program.services import activities_for, activity_by_slug
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


def _error(error: HavehusError) -> ResponseReturnValue:
    return shapes.refuse(error.code, error.message, STATUS_OF.get(error.code, 422), error.fields)


def _place(text: str) -> tuple[int | None, int | None]:
    return find_place(db.session, text)


def _visible(activity: Activity, token: ApiToken) -> bool:
    if token.role in MANAGERS:
        return True
    return activity.visibility in ("public", "partners") and activity.archived_at is None


_NOT_FOUND = ("No such activity (code not_found).", shapes.Error)
_INVALID = ("Invalid fields (code invalid, with fields).", shapes.Error)


@describe(
    "The activities this token may see",
    description="Manager tokens see every activity; partner tokens public and partner activities.",
    token="any",
    answers={200: ("By slug.", list[shapes.Activity])},
)
@token_required()
def activities() -> ResponseReturnValue:
    """Every activity the token may see, by slug."""
    token = cast(ApiToken, bearer_token())
    found = activities_for(db.session, every=token.role in MANAGERS)
    return shapes.answer([shapes.Activity.of(a) for a in found])


@describe(
    "Create an activity (manager token)",
    description="Its sessions are created up to the planning horizon at once.",
    token="role",
    body=shapes.ActivityInput,
    answers={
        201: ("Created.", shapes.ActivityCreated),
        409: ("The slug is taken (code exists).", shapes.Error),
        422: _INVALID,
    },
)
@token_required(*MANAGERS)
def activity_create() -> ResponseReturnValue:
    """Create an activity; its sessions are created up to the planning horizon at once."""
    try:
        data = parse_body(shapes.ActivityInput).applied_to(ActivityData(), _place)
        activity, _summary = create_activity(
            db.session,
            data,
            utcnow(),
            current_actor(),
            tz=house_tz(),
            horizon_weeks=int(current_settings().horizon_weeks),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    response, status = shapes.answer(
        shapes.ActivityCreated(id=activity.id, slug=activity.slug), 201
    )
    response.headers["Location"] = url_for("api.activity_detail", slug=activity.slug)
    return response, status


def _find(slug: str) -> Activity | None:
    return activity_by_slug(db.session, slug)


@describe(
    "One activity",
    token="any",
    answers={200: ("The activity.", shapes.Activity), 404: _NOT_FOUND},
)
@token_required()
def activity_detail(slug: str) -> ResponseReturnValue:
    activity = _find(slug)
    if activity is None or not _visible(activity, cast(ApiToken, bearer_token())):
        return shapes.refuse("not_found", _("There is no such activity."), 404)
    return shapes.answer(shapes.Activity.of(activity))


@describe(
    "Change some fields (manager token)",
    description="Send only the fields to change. New times apply to every coming session: "
    "booked sessions are moved (never deleted) and their participants get a change text. The "
    "answer adds notices: how many texts were queued.",
    token="role",
    body=shapes.ActivityChanges,
    answers={
        200: ("The activity after the change.", shapes.ActivityChanged),
        404: _NOT_FOUND,
        409: (
            "Changed by someone else (conflict), slug taken (exists) or archived.",
            shapes.Error,
        ),
        422: _INVALID,
    },
)
@token_required(*MANAGERS)
def activity_update(slug: str) -> ResponseReturnValue:
    """Change some fields; new times apply to every coming session (booked ones are moved
    and their participants told). Send "version" to refuse a save over someone else's."""
    activity = _find(slug)
    if activity is None:
        return shapes.refuse("not_found", _("There is no such activity."), 404)
    try:
        changes = parse_body(shapes.ActivityChanges)
        summary = update_activity(
            db.session,
            activity,
            changes.applied_to(activity_data(activity), _place),
            utcnow(),
            current_actor(),
            expected_version=changes.version,
            tz=house_tz(),
            horizon_weeks=int(current_settings().horizon_weeks),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    return shapes.answer(shapes.ActivityChanged.of_change(activity, summary.notices))


@describe(
    "Cancel one session (manager token)",
    description='Body {"reason": "…"}; booked and waitlisted participants get a change text '
    "with the reason.",
    token="role",
    body=shapes.CancelRequest,
    answers={
        200: ("Cancelled.", shapes.Cancelled),
        404: ("No such session (code not_found).", shapes.Error),
        409: ("Already cancelled or already started.", shapes.Error),
        422: ("No reason, or not a text (code invalid, with fields).", shapes.Error),
    },
)
@token_required(*MANAGERS)
def session_cancel(session_id: int) -> ResponseReturnValue:
    """Cancel one session with {"reason"}; its participants get a change text."""
    session = db.session.get(Session, session_id)
    if session is None:
        return shapes.refuse("not_found", _("There is no such session."), 404)
    try:
        reason = parse_body(shapes.CancelRequest).reason
        summary = cancel_session(
            db.session,
            session,
            reason,
            utcnow(),
            current_actor(),
            tz=house_tz(),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        return _error(error)
    db.session.commit()
    cancelled = shapes.Cancelled(
        id=session.id, status=session.status, sequence=session.sequence, notices=summary.notices
    )
    return shapes.answer(cancelled)
