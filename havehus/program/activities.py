"""Activities: create one with its sessions, save an edit, archive it.

Every service of the planner takes the database session, the instant `now` and the acting
`actor`, writes an audit entry, bumps the program version and raises HavehusError with a
stable code. None of them commits: the caller commits once, so nothing is saved half-way.
A booking is never deleted by a change (see reschedule.py and sessions.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from havehus.config import Settings
from havehus.errors import HavehusError
from havehus.models import Activity, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.activity_data import (
    PLAIN_FIELDS,
    SCHEDULE_FIELDS,
    ActivityData,
    validate_activity,
)
from havehus.program.conflicts import conflicts_for
from havehus.program.hosts import hosts_with_ids
from havehus.program.notices import house_text
from havehus.program.recurrence import expand_activity, horizon_until
from havehus.program.reschedule import reschedule
from havehus.program.results import ChangeSummary
from havehus.program.services import bump_program_version
from havehus.program.sessions import coming_sessions, mark_cancelled, sessions_with_participants
from havehus.program.slugs import free_slug, slug_from_title


def create_activity(
    orm: OrmSession,
    data: ActivityData,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    horizon_weeks: int,
    derive_slug: bool = False,
) -> tuple[Activity, ChangeSummary]:
    """Create an activity with its sessions up to the horizon."""
    # The planner's form may leave the web name to be made from the Danish title; the API's
    # callers always send their own (a contract), so only the form asks for `derive_slug`.
    if derive_slug and not data.slug.strip():
        data = replace(data, slug=free_slug(orm, slug_from_title(data.title.get("da", ""))))
    clean = validate_activity(orm, data, None, now, tz)
    _check_slug_free(orm, clean.slug, None)
    activity = Activity(created_at=now, updated_at=now)
    for name in PLAIN_FIELDS:
        setattr(activity, name, getattr(clean, name))
    activity.hosts = hosts_with_ids(orm, clean.host_ids)
    orm.add(activity)
    flush_or_conflict(orm)
    created = expand_activity(orm, activity, horizon_until(now, tz, horizon_weeks), now, tz)
    orm.flush()
    summary = ChangeSummary(created=created)
    summary.warnings = conflicts_for(orm, coming_sessions(orm, activity, now), tz)
    audit.record(
        orm, "activity.create", now, actor, target=activity, details={"slug": activity.slug}
    )
    bump_program_version(orm, now)
    return activity, summary


def update_activity(
    orm: OrmSession,
    activity: Activity,
    data: ActivityData,
    now: datetime,
    actor: Actor,
    *,
    expected_version: int | None,
    tz: ZoneInfo,
    horizon_weeks: int,
    pivot: Session | None = None,
    settings: Settings,
) -> ChangeSummary:
    """Save an edited activity; time and pattern changes apply to all coming sessions, or
    (with `pivot`) to that session and the following ones."""
    check_version(activity, expected_version)
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is archived."), "archived")
    clean = validate_activity(orm, data, activity, now, tz)
    _check_slug_free(orm, clean.slug, activity)
    changed = sorted(
        name for name in PLAIN_FIELDS if getattr(activity, name) != getattr(clean, name)
    )
    schedule_changed = any(name in changed for name in SCHEDULE_FIELDS)
    for name in PLAIN_FIELDS:
        if name not in SCHEDULE_FIELDS:
            setattr(activity, name, getattr(clean, name))
    new_hosts = hosts_with_ids(orm, clean.host_ids)
    if {h.id for h in new_hosts} != {h.id for h in activity.hosts}:
        activity.hosts = new_hosts
        changed.append("hosts")
    activity.updated_at = now
    summary = ChangeSummary()
    if schedule_changed:
        summary = reschedule(orm, activity, clean, pivot, now, actor, tz, horizon_weeks, settings)
    flush_or_conflict(orm)
    summary.warnings = conflicts_for(orm, coming_sessions(orm, activity, now), tz)
    audit.record(
        orm,
        "activity.update",
        now,
        actor,
        target=activity,
        details={"fields": ",".join(changed), "moved": len(summary.moved)},
    )
    bump_program_version(orm, now)
    return summary


def archive_activity(
    orm: OrmSession,
    activity: Activity,
    now: datetime,
    actor: Actor,
    *,
    expected_version: int | None,
    tz: ZoneInfo,
    settings: Settings,
) -> ChangeSummary:
    """Take an activity off the program; coming sessions with participants are cancelled."""
    check_version(activity, expected_version)
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is already archived."), "archived")
    summary = ChangeSummary()
    reason = house_text(_l("The activity has ended."))
    sessions = coming_sessions(orm, activity, now)
    keep = sessions_with_participants(orm, sessions)
    for session in sessions:
        if session.id in keep:
            if session.status == SessionStatus.SCHEDULED:
                mark_cancelled(orm, session, reason, now, actor, tz, summary, settings)
        else:
            orm.delete(session)
            summary.deleted += 1
    activity.archived_at = now
    activity.updated_at = now
    flush_or_conflict(orm)
    audit.record(
        orm,
        "activity.archive",
        now,
        actor,
        target=activity,
        details={"cancelled": len(summary.cancelled), "deleted": summary.deleted},
    )
    bump_program_version(orm, now)
    return summary


def activity_list(archived: bool) -> Select[Any]:
    """The query for the planner's list: the archived activities, or the others, by web name."""
    query = select(Activity).options(selectinload(Activity.location))
    if archived:
        query = query.where(Activity.archived_at.is_not(None))
    else:
        query = query.where(Activity.archived_at.is_(None))
    return query.order_by(Activity.slug)


def _check_slug_free(orm: OrmSession, slug: str, activity: Activity | None) -> None:
    query = select(Activity.id).where(Activity.slug == slug)
    if activity is not None:
        query = query.where(Activity.id != activity.id)
    if orm.scalar(query) is not None:
        raise HavehusError(
            _("Another activity already uses this web name."),
            "exists",
            fields={"slug": _("Another activity already uses this web name.")},
        )


def check_version(activity: Activity, expected_version: int | None) -> None:
    """HavehusError "conflict" when the activity changed since the editor loaded it."""
    if expected_version is not None and activity.version != expected_version:
        raise _changed_meanwhile()


def flush_or_conflict(orm: OrmSession) -> None:
    """Flush, turning a lost optimistic-lock race into the friendly conflict error."""
    try:
        orm.flush()
    except StaleDataError:
        raise _changed_meanwhile() from None


def _changed_meanwhile() -> HavehusError:
    return HavehusError(
        _(
            "Someone else changed this activity while you were editing. "
            "Your changes are not saved; look at the current version and try again."
        ),
        "conflict",
    )
