"""One session: cancel, reinstate, move, add a one-off, put hosts on its shift.

Also the pieces every change of sessions shares: the coming sessions of an activity, which
of them have participants (those are never deleted), and cancelling one with its notices.
Like every planner service, nothing here commits: the caller commits once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.config import Settings
from havehus.errors import HavehusError
from havehus.models import Activity, Booking, Room, Session, SessionStatus, Tally, Visit
from havehus.models.signup import BOOKING_STATUSES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.conflicts import conflicts_for
from havehus.program.hosts import hosts_with_ids
from havehus.program.notices import queue_notices
from havehus.program.results import ChangeSummary, Conflict, invalid
from havehus.program.services import bump_program_version
from havehus.timeutil import local_to_utc

#: A session with any booking is never deleted (deleting it would delete the bookings too):
#: people expect it, it happened, or a cancelled booking is part of the record.
KEEPING = BOOKING_STATUSES


def cancel_session(
    orm: OrmSession,
    session: Session,
    reason: str,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    settings: Settings,
) -> ChangeSummary:
    """Cancel one session with a reason; its participants get a change notice."""
    reason = check_reason(reason)
    if session.status == SessionStatus.CANCELLED:
        raise HavehusError(_("This session is already cancelled."), "already_cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    summary = ChangeSummary()
    mark_cancelled(orm, session, reason, now, actor, tz, summary, settings)
    orm.flush()
    audit.record(
        orm,
        "session.cancel",
        now,
        actor,
        target=session,
        details={"reason": reason, "notices": summary.notices},
    )
    bump_program_version(orm, now)
    return summary


def reinstate_session(
    orm: OrmSession,
    session: Session,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    settings: Settings,
) -> ChangeSummary:
    """Undo a cancellation; participants are told the session takes place after all."""
    if session.status != SessionStatus.CANCELLED:
        raise HavehusError(_("This session is not cancelled."), "not_cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    session.status = SessionStatus.SCHEDULED
    session.cancel_reason = None
    session.sequence += 1
    session.updated_at = now
    summary = ChangeSummary()
    queue_notices(orm, session, "reinstated", now, actor, tz, summary, settings=settings)
    orm.flush()
    summary.warnings = conflicts_for(orm, [session], tz)
    audit.record(orm, "session.reinstate", now, actor, target=session)
    bump_program_version(orm, now)
    return summary


def check_reason(reason: str) -> str:
    """The cancel reason, trimmed; HavehusError "invalid" when it is empty or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise HavehusError(
            _("Say why, in a few words."),
            "invalid",
            fields={"reason": _("Say why, in a few words.")},
        )
    if len(reason) > 300:
        raise HavehusError(
            _("At most 300 characters."),
            "invalid",
            fields={"reason": _("At most 300 characters.")},
        )
    return reason


def mark_cancelled(
    orm: OrmSession,
    session: Session,
    reason: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    summary: ChangeSummary,
    settings: Settings,
) -> None:
    """Cancel a session (no checks, no audit entry) and queue its participants' notices."""
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.sequence += 1
    session.updated_at = now
    summary.cancelled.append(session)
    queue_notices(orm, session, "cancelled", now, actor, tz, summary, settings=settings)


def minutes_between(start: time, end: time) -> int:
    """Minutes from start to end on one day; 0 or less when the end is not after the start."""
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _check_slot(
    orm: OrmSession,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    now: datetime,
    tz: ZoneInfo,
    *,
    past: str,
) -> tuple[datetime, datetime, Room | None]:
    """A new time and room: its start and end in UTC and the room, or HavehusError "invalid".

    `past` is the message for a start that is not in the future.
    """
    errors: dict[str, str] = {}
    if minutes_between(start, end) <= 0:
        errors["end_time"] = _("The end must be after the start.")
    starts_at = local_to_utc(day, start, tz)
    if starts_at <= now:
        errors["day"] = past
    room = orm.get(Room, room_id) if room_id else None
    if room_id and room is None:
        errors["room_id"] = _("Unknown room.")
    if errors:
        raise invalid(errors)
    return starts_at, local_to_utc(day, end, tz), room


def move_session(
    orm: OrmSession,
    session: Session,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    expected_sequence: int | None,
    settings: Settings,
) -> ChangeSummary:
    """Give one session a new day, time or room; participants are told when it moves."""
    if expected_sequence is not None and session.sequence != expected_sequence:
        raise HavehusError(
            _("Someone else changed this session meanwhile. Look at it again and retry."),
            "conflict",
        )
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    starts_at, ends_at, room = _check_slot(
        orm, day, start, end, room_id, now, tz, past=_("The new time is in the past.")
    )
    old_start = session.starts_at
    # The activity's own room needs no override.
    room_override = room_id if room_id != session.activity.room_id else None
    moved = (starts_at, ends_at) != (session.starts_at, session.ends_at)
    room_changed = room_override != session.room_id
    summary = ChangeSummary()
    if not moved and not room_changed:
        return summary
    session.starts_at, session.ends_at = starts_at, ends_at
    session.room_id = room_override
    if room is not None and room.location_id != session.activity.location_id:
        session.location_id = room.location_id
    session.sequence += 1
    session.updated_at = now
    summary.moved.append(session)
    if session.status == SessionStatus.SCHEDULED:
        kind = "moved" if moved else "room"
        queue_notices(
            orm, session, kind, now, actor, tz, summary, old_start=old_start, settings=settings
        )
    orm.flush()
    summary.warnings = conflicts_for(orm, [session], tz)
    audit.record(
        orm,
        "session.move",
        now,
        actor,
        target=session,
        details={
            "from": old_start.isoformat(),
            "to": starts_at.isoformat(),
            "room": room.name if room else "",
        },
    )
    bump_program_version(orm, now)
    return summary


def add_session(
    orm: OrmSession,
    activity: Activity,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> tuple[Session, ChangeSummary]:
    """Add a one-off session to an activity (e.g. an extra walk on a public holiday)."""
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is archived."), "archived")
    starts_at, ends_at, _room = _check_slot(
        orm, day, start, end, room_id, now, tz, past=_("The time is in the past.")
    )
    session = new_session(orm, activity, starts_at, ends_at, now)
    session.room_id = room_id if room_id != activity.room_id else None
    orm.flush()
    summary = ChangeSummary(created=1, warnings=conflicts_for(orm, [session], tz))
    audit.record(
        orm, "session.add", now, actor, target=session, details={"activity": activity.slug}
    )
    bump_program_version(orm, now)
    return session, summary


def new_session(
    orm: OrmSession, activity: Activity, starts_at: datetime, ends_at: datetime, now: datetime
) -> Session:
    """A one-off session, already in the database session (so loading never flushes it half)."""
    session = Session(
        activity_id=activity.id,
        uid=f"{uuid.uuid4()}@havehus",
        occurrence_start=None,
        starts_at=starts_at,
        ends_at=ends_at,
        status=SessionStatus.SCHEDULED,
        sequence=0,
        seats_taken=0,
        note={},
        created_at=now,
        updated_at=now,
    )
    orm.add(session)
    return session


def assign_hosts(
    orm: OrmSession,
    session: Session,
    host_ids: Sequence[int],
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> list[Conflict]:
    """Put these hosts on the session's shift; returns double-booking warnings."""
    hosts = hosts_with_ids(orm, host_ids)
    before = sorted(h.id for h in session.hosts)
    session.hosts = hosts
    session.updated_at = now
    orm.flush()
    audit.record(
        orm,
        "session.hosts",
        now,
        actor,
        target=session,
        details={"before": before, "after": sorted(h.id for h in hosts)},
    )
    bump_program_version(orm, now)
    return [c for c in conflicts_for(orm, [session], tz) if c.kind == "host"]


def coming_sessions(
    orm: OrmSession, activity: Activity, now: datetime, *, series_only: bool = False
) -> list[Session]:
    """The activity's sessions that start after now (only those of its pattern: series_only)."""
    query = select(Session).where(Session.activity_id == activity.id, Session.starts_at > now)
    if series_only:
        query = query.where(Session.occurrence_start.is_not(None))
    return list(orm.scalars(query.order_by(Session.starts_at)))


def sessions_with_participants(orm: OrmSession, sessions: Sequence[Session]) -> set[int]:
    """Ids of sessions someone booked, came to or was counted at (never deleted)."""
    ids = [s.id for s in sessions]
    if not ids:
        return set()
    booked = set(
        orm.scalars(
            select(Booking.session_id).where(
                Booking.session_id.in_(ids), Booking.status.in_(KEEPING)
            )
        )
    )
    counted = set(orm.scalars(select(Tally.session_id).where(Tally.session_id.in_(ids))))
    counted |= set(orm.scalars(select(Visit.session_id).where(Visit.session_id.in_(ids))))
    enrolled_activities = set(
        orm.scalars(
            select(Booking.activity_id).where(
                Booking.activity_id.in_({s.activity_id for s in sessions}),
                Booking.status.in_(KEEPING),
            )
        )
    )
    enrolled = {s.id for s in sessions if s.activity_id in enrolled_activities}
    return {i for i in booked if i is not None} | counted | enrolled
