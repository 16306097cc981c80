"""The program's rules: expanding the horizon, the week and activity views, the version."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, CursorResult, Engine, Select, Update, bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload

from havehus.dbutil import insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.models import Activity, Mode, ProgramVersion, Session, SessionStatus, Visibility
from havehus.orm import OrmSession
from havehus.program.recurrence import check_stored_rule, expand_activity
from havehus.timeutil import day_bounds_utc

DEFAULT_PAGE_SIZE = 10
log = logging.getLogger("havehus.program")


# Built once, on the table (not the mapped class, whose bulk UPDATE costs more than the
# statement): every booking and cancellation runs one of these inside its write lock.
_VERSION_TABLE = ProgramVersion.__table__
_BUMP_PROGRAM = (
    update(_VERSION_TABLE)
    .where(_VERSION_TABLE.c.id == 1)
    .values(version=_VERSION_TABLE.c.version + 1, changed_at=bindparam("now"))
)
_BUMP_SEATS = (
    update(_VERSION_TABLE)
    .where(_VERSION_TABLE.c.id == 1)
    .values(seats_version=_VERSION_TABLE.c.seats_version + 1, seats_changed_at=bindparam("now"))
)


def _bump(orm: OrmSession, statement: Update, now: datetime) -> int:
    # What is pending is written first, as an ORM statement would (the same order as before
    # for every transaction that also changes rows: PostgreSQL's row locks are taken alike).
    orm.flush()
    result = orm.execute(statement, {"now": now})
    assert isinstance(result, CursorResult)
    return result.rowcount


def bump_program_version(orm: OrmSession, now: datetime) -> None:
    """Record that the program changed, so every process drops its cached pages and feeds."""
    if not _bump(orm, _BUMP_PROGRAM, now):
        insert_ignoring_conflicts(orm, ProgramVersion, [{"id": 1, "version": 1, "changed_at": now}])


def bump_seats_version(orm: OrmSession, now: datetime) -> None:
    """Record that seats left or a waiting list may have changed (a booking, a cancellation,
    a check-in): pages showing seats drop their copies, feeds without seats keep theirs."""
    if not _bump(orm, _BUMP_SEATS, now):
        # The program itself has not changed: its version stays what reading it gave (0).
        first = {"version": 0, "changed_at": now, "seats_version": 1, "seats_changed_at": now}
        insert_ignoring_conflicts(orm, ProgramVersion, [{"id": 1, **first}])


class Versions(NamedTuple):
    """The program's and the seats' version numbers and when each last changed."""

    program: int
    changed_at: datetime | None
    seats: int
    seats_changed_at: datetime | None


# Built once: on a cached page or a 304, making the statement would cost as much as running it.
_VERSIONS = select(
    ProgramVersion.version,
    ProgramVersion.changed_at,
    ProgramVersion.seats_version,
    ProgramVersion.seats_changed_at,
).where(ProgramVersion.id == 1)


def read_versions(connection: OrmSession | Connection) -> Versions:
    """Both versions in one query (zeros before the first change)."""
    row = connection.execute(_VERSIONS).first()
    if row is None:
        return Versions(0, None, 0, None)
    return Versions(row[0], row[1], row[2], row[3])


_NUMBERS = "SELECT version, seats_version FROM program_version WHERE id = 1"


def read_version_numbers(engine: Engine) -> tuple[int, int]:
    """The program and seats version numbers, on the driver's own connection from the pool:
    one statement, no transaction to begin and end (what every cached page pays)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_NUMBERS)
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def program_version(orm: OrmSession) -> int:
    return orm.scalar(select(ProgramVersion.version).where(ProgramVersion.id == 1)) or 0


def expand_horizon(orm: OrmSession, weeks: int, now: datetime, tz: ZoneInfo) -> int:
    """Create the sessions of every active recurring activity up to `weeks` weeks from today."""
    until = now.astimezone(tz).date() + timedelta(weeks=weeks)
    activities = orm.scalars(select(Activity).where(Activity.archived_at.is_(None))).all()
    created = 0
    for activity in activities:
        try:
            check_stored_rule(activity)
        except HavehusError as error:
            # Checked before walking it: one bad rule must neither stall the job nor stop
            # the other activities from being expanded.
            log.warning(
                "Activity %s is not expanded; its repeat rule %r is refused: %s",
                activity.slug,
                activity.rrule,
                error.message,
            )
            continue
        created += expand_activity(orm, activity, until, now, tz)
    if created:
        bump_program_version(orm, now)
    return created


def sessions_on_days(first: date, last: date, tz: ZoneInfo) -> Select[Session]:
    """Sessions starting on local days first..last, of activities not archived.

    Every visibility and status: the planner's callers narrow it down.
    """
    start, end = day_bounds_utc(first, last, tz)
    return (
        select(Session)
        .join(Session.activity)
        .where(
            Session.starts_at >= start,
            Session.starts_at < end,
            Activity.archived_at.is_(None),
        )
    )


def _public_sessions(visibilities: Sequence[str] = ("public",)) -> Select[Any]:
    return (
        select(Session)
        .join(Session.activity)
        .where(
            Activity.visibility.in_(visibilities),
            Activity.archived_at.is_(None),
            Session.imported.is_(False),  # history brought in by an import is no program
        )
        .options(
            # The activities in a statement of their own, each once: joined, their wide
            # columns (titles and summaries in every language) came along with every session,
            # and were sorted and decoded again for each.
            selectinload(Session.activity).joinedload(Activity.location),
            selectinload(Session.activity).joinedload(Activity.room),
            joinedload(Session.location),
            joinedload(Session.room),
        )
        .order_by(Session.starts_at, Activity.slug)
    )


def public_sessions_between(
    orm: OrmSession,
    first: date,
    last: date,
    tz: ZoneInfo,
    category: str | None = None,
    visibilities: Sequence[str] = ("public",),
) -> Sequence[Session]:
    """Sessions on local days first..last inclusive, in start order (public ones by default)."""
    start, end = day_bounds_utc(first, last, tz)
    query = _public_sessions(visibilities).where(
        Session.starts_at >= start, Session.starts_at < end
    )
    if category:
        query = query.where(Activity.category == category)
    return orm.scalars(query).unique().all()


@dataclass(frozen=True)
class ProgramEntry:
    """One card of the week: a session, or the time slots of one activity on one day."""

    activity: Activity
    sessions: list[Session]

    @property
    def first(self) -> Session:
        return self.sessions[0]

    @property
    def ends_at(self) -> datetime:
        return max(session.ends_at for session in self.sessions)

    @property
    def is_slots(self) -> bool:
        return len(self.sessions) > 1

    def open_slots(self, now: datetime) -> int:
        """Slots that can still be booked: not started, not cancelled, not full."""
        return sum(
            1
            for s in self.sessions
            if s.starts_at > now and s.status == SessionStatus.SCHEDULED and s.seats_left != 0
        )


@dataclass(frozen=True)
class ProgramDay:
    day: date
    is_past: bool
    is_today: bool
    entries: list[ProgramEntry]


def group_entries(sessions: Sequence[Session]) -> list[ProgramEntry]:
    """Group a day's sessions so an activity's slots (e.g. vaccination times) share a card.

    Only sign-up sessions are slots to choose between; two drop-in sessions of one activity on
    one day (a morning and an evening walk) are two cards, each with its own time.
    """
    entries: list[ProgramEntry] = []
    slots: dict[int, ProgramEntry] = {}
    for session in sessions:
        if session.activity.mode == Mode.SIGNUP and session.activity_id in slots:
            slots[session.activity_id].sessions.append(session)
            continue
        entry = ProgramEntry(session.activity, [session])
        entries.append(entry)
        if session.activity.mode == Mode.SIGNUP:
            slots[session.activity_id] = entry
    return entries


def program_days(
    orm: OrmSession, first: date, days: int, today: date, tz: ZoneInfo
) -> list[ProgramDay]:
    """`days` local days from `first`, each with its public sessions (past days marked)."""
    by_day: dict[date, list[Session]] = {first + timedelta(days=i): [] for i in range(days)}
    for session in public_sessions_between(orm, first, first + timedelta(days=days - 1), tz):
        by_day[session.starts_at.astimezone(tz).date()].append(session)
    return [
        ProgramDay(
            day=day, is_past=day < today, is_today=day == today, entries=group_entries(items)
        )
        for day, items in by_day.items()
    ]


def week_program(orm: OrmSession, monday: date, today: date, tz: ZoneInfo) -> list[ProgramDay]:
    """The seven days of the ISO week starting at monday, each with its public sessions."""
    return program_days(orm, monday, 7, today, tz)


def public_activity(orm: OrmSession, slug: str) -> Activity | None:
    return orm.scalar(
        select(Activity)
        .where(
            Activity.slug == slug,
            Activity.visibility == "public",
            Activity.archived_at.is_(None),
        )
        # Each is one row: joined, not one more statement each.
        .options(joinedload(Activity.location), joinedload(Activity.room))
    )


def upcoming_sessions(
    orm: OrmSession, activity: Activity, now: datetime, page: int, per_page: int
) -> tuple[Sequence[Session], bool]:
    """One page of the activity's sessions that have not ended; and whether more follow."""
    rows = orm.scalars(
        select(Session)
        .where(Session.activity_id == activity.id, Session.ends_at > now)
        .order_by(Session.starts_at)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    return rows[:per_page], len(rows) > per_page


def public_session(orm: OrmSession, session_id: int) -> Session | None:
    return orm.scalar(_public_sessions().where(Session.id == session_id))


def activities_for(orm: OrmSession, *, every: bool) -> Sequence[Activity]:
    """Activities by slug: every one (managers), or the public and partner ones still running."""
    query = select(Activity).order_by(Activity.slug)
    if not every:
        query = query.where(
            Activity.visibility.in_((Visibility.PUBLIC, Visibility.PARTNERS)),
            Activity.archived_at.is_(None),
        )
    return orm.scalars(query).all()


def activity_by_slug(orm: OrmSession, slug: str) -> Activity | None:
    return orm.scalar(select(Activity).where(Activity.slug == slug))
