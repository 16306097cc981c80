"""The indicators of the data strategy, computed once from the raw records.

Every figure is defined in docs/indicators.md; the definitions below are the code of those
words. A report covers local days `first`..`last` (both inclusive, Europe/Copenhagen) and may
be broken down `by` activity, category, housing department or month; the last row is always
the total over the whole period (never the sum of the rows: a person who came to two
activities is one unique participant in the total).

Counts come from a handful of queries over the period's sessions (no query per session or
per person); the grouping happens here, on rows of (session, person).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select

from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    Department,
    DepartmentPopulation,
    Participant,
    Session,
    SessionStatus,
    Tally,
    Visit,
)
from havehus.orm import OrmSession
from havehus.timeutil import day_bounds_utc, local_to_utc

#: The columns of a query joined to Session.
Columns = TypeVarTuple("Columns")
By = Literal["activity", "category", "department", "month"]
BY_CHOICES: tuple[By, ...] = ("activity", "category", "department", "month")
TOTAL = "total"
#: The group of participants who live outside the area's housing departments.
OUTSIDE = "outside the area"
#: The group of participants whose department nobody recorded.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Filters:
    """What a report narrows to; None narrows nothing."""

    location_id: int | None = None
    activity_id: int | None = None
    category: str | None = None
    department_id: int | None = None


@dataclass
class Row:
    """One line of a report: a group (or the total) and its figures. None: not defined for
    this group (e.g. sessions per housing department) or nothing to divide by."""

    group: str
    sessions_held: int | None = 0
    sessions_cancelled: int | None = 0
    visits: int = 0
    anonymous_visits: int | None = 0
    unique_participants: int = 0
    new_participants: int = 0
    returning_participants: int = 0
    no_shows: int = 0
    bookings_decided: int = 0
    #: Residents aged 18+ of a department in the period's year (by department only).
    adults: int | None = None
    _people: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def no_show_rate(self) -> float | None:
        """No-shows ÷ bookings that ended as attended or no-show; None without such bookings."""
        if not self.bookings_decided:
            return None
        return self.no_shows / self.bookings_decided

    @property
    def participation_rate(self) -> float | None:
        """Unique participants ÷ residents aged 18+ (a department with a denominator only)."""
        if not self.adults:
            return None
        return self.unique_participants / self.adults


@dataclass(frozen=True)
class _SessionFacts:
    id: int
    starts_at: datetime
    held: bool
    cancelled: bool
    activity: str
    category: str


def report(
    orm: OrmSession,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
    *,
    by: By | None = None,
    filters: Filters = Filters(),
) -> list[Row]:
    """The report's rows: one per group (in a stable order), then the total.

    Six statements whatever the period (tests/reports/test_report_queries.py), each joined to
    the period's sessions; the rows are added up here in one pass each.
    """
    start, end = day_bounds_utc(first, last, tz)
    connection = orm.connection()
    sessions = {
        sid: _SessionFacts(
            id=sid,
            starts_at=starts_at,
            held=status == SessionStatus.SCHEDULED and starts_at <= now,
            cancelled=status == SessionStatus.CANCELLED,
            activity=slug,
            category=category,
        )
        for sid, starts_at, status, slug, category in connection.execute(
            _in_period(
                select(
                    Session.id, Session.starts_at, Session.status, Activity.slug, Activity.category
                )
                .join(Activity, Activity.id == Session.activity_id)
                .order_by(Session.starts_at, Session.id),
                start,
                end,
                filters,
                joined_activity=True,
            )
        )
    }
    departments: dict[int, str] = {
        department_id: name
        for department_id, name in connection.execute(select(Department.id, Department.name))
    }
    wanted = departments.get(filters.department_id) if filters.department_id else None
    key = _grouping(by, sessions, tz)
    rows = _group_rows(by, sessions, departments, first, last, tz, key)
    total = Row(TOTAL)
    by_department = by == "department"
    # The period's sessions with their group as SQL computes it, so that visits, counts and
    # bookings come added up per person and group rather than one row each.
    period = _period_sessions(start, end, filters, by, _bucket(by, first, last, tz))
    grouped = (period.c.bucket,) if "bucket" in period.c else ()
    department_rows: dict[str, Row | None] = (
        {name: rows.get(name) for name in (*departments.values(), OUTSIDE, UNKNOWN)}
        if by_department
        else {}
    )

    def department_of(department_id: int | None, outside: bool) -> str:
        if outside:
            return OUTSIDE
        return UNKNOWN if department_id is None else departments[department_id]

    def group_of(bucket: Sequence[str], department: str | None) -> Row | None:
        """The row besides the total that a group's figures go to, if any."""
        if by_department:
            # Head counts are not anyone's department: the total only.
            return None if department is None else department_rows.get(department or UNKNOWN)
        return rows.get(bucket[0]) if bucket else None

    for facts in sessions.values():
        group = rows.get(key(facts, None)) if by is not None and not by_department else None
        for row in (total, group):
            if row is not None:
                row.sessions_held = (row.sessions_held or 0) + facts.held
                row.sessions_cancelled = (row.sessions_cancelled or 0) + facts.cancelled
    counted = (
        select(func.sum(Tally.count), *grouped)
        .join(period, period.c.id == Tally.session_id)
        # first-timers are among the adults and children, not beside them
        .where(Tally.kind.in_(("adults", "children")))
        .group_by(*grouped)
    )
    for count, *bucket in connection.execute(counted).all():
        for row in (total, group_of(bucket, None)):
            if row is not None and count:
                row.visits += count
                if row.anonymous_visits is not None:
                    row.anonymous_visits += count
    # Named visits per person (and group), their guests apart (few bookings bring any), and
    # where each person lives: three small answers instead of a wide join per visit.
    named = (
        select(func.count(Visit.id), Visit.participant_id, *grouped)
        .join(period, period.c.id == Visit.session_id)
        .group_by(Visit.participant_id, *grouped)
    )
    brought = (
        select(func.sum(Booking.guests), Visit.participant_id, *grouped)
        .join(Visit, Visit.booking_id == Booking.id)
        .join(period, period.c.id == Visit.session_id)
        .where(Booking.guests > 0)
        .group_by(Visit.participant_id, *grouped)
    )
    guests_of = {
        (pid, *bucket): guests for guests, pid, *bucket in connection.execute(brought).all()
    }
    homes = {
        pid: department_of(department_id, outside)
        for pid, department_id, outside in connection.execute(
            select(Participant.id, Participant.department_id, Participant.outside_area)
        ).all()
    }
    for visits, pid, *bucket in connection.execute(named).all():
        department = homes[pid]
        if wanted is not None and department != wanted:
            continue
        guests = guests_of.get((pid, *bucket), 0)  # the guests they brought came unnamed
        for row in (total, group_of(bucket, department)):
            if row is not None:
                row.visits += visits + guests
                if row.anonymous_visits is not None:
                    row.anonymous_visits += guests
                row._people[pid] = row._people.get(pid, 0) + visits
    outcome = (Participant.department_id, Participant.outside_area, Booking.status)
    decided = (
        select(func.count(Booking.id), *outcome, *grouped)
        .join(period, period.c.id == Booking.session_id)
        .join(Participant, Participant.id == Booking.participant_id)
        .where(Booking.status.in_((BookingStatus.ATTENDED, BookingStatus.NO_SHOW)))
        .group_by(*outcome, *grouped)
    )
    for bookings, department_id, outside, status, *bucket in connection.execute(decided).all():
        department = department_of(department_id, outside)
        if wanted is not None and department != wanted:
            continue
        for row in (total, group_of(bucket, department)):
            if row is not None:
                row.bookings_decided += bookings
                row.no_shows += bookings if status == BookingStatus.NO_SHOW else 0
    # A period visitor is new unless they had a named visit before the period (their first
    # visit ever then lies in it: they have one in it).
    came_before = set(
        connection.execute(
            select(Visit.participant_id)
            .join(Session, Session.id == Visit.session_id)
            .where(Session.starts_at < start)
            .group_by(Visit.participant_id)
        ).scalars()
    )
    for row in (*rows.values(), total):
        row.unique_participants = len(row._people)
        row.returning_participants = sum(1 for n in row._people.values() if n >= 2)
        row.new_participants = sum(1 for pid in row._people if pid not in came_before)
    if by_department:
        _add_denominators(orm, rows, departments, first.year)
    return [*rows.values(), total]


def _in_period(
    query: Select[*Columns],
    start: datetime,
    end: datetime,
    filters: Filters,
    *,
    joined_activity: bool = False,
) -> Select[*Columns]:
    """The query (joined to Session) narrowed to the period's sessions and the filters."""
    query = query.where(Session.starts_at >= start, Session.starts_at < end)
    if filters.location_id is None and filters.activity_id is None and filters.category is None:
        return query
    if not joined_activity:
        query = query.join(Activity, Activity.id == Session.activity_id)
    if filters.location_id is not None:
        location = func.coalesce(Session.location_id, Activity.location_id)
        query = query.where(location == filters.location_id)
    if filters.activity_id is not None:
        query = query.where(Activity.id == filters.activity_id)
    if filters.category is not None:
        query = query.where(Activity.category == filters.category)
    return query


def _bucket(by: By | None, first: date, last: date, tz: ZoneInfo) -> ColumnElement[str] | None:
    """A session's group as SQL: its activity, its category, or the local month it starts in
    (a CASE over the months' first instants in UTC, as `_grouping` reads a start); None when
    sessions are not grouped (the total, or departments: a person's, not a session's)."""
    if by == "activity":
        return Activity.slug.expression
    if by == "category":
        return Activity.category.expression
    if by != "month":
        return None
    months = _months(first, last)
    ends = [
        local_to_utc(date(int(month[:4]), int(month[5:]), 1), time(0), tz) for month in months[1:]
    ]
    _start, end = day_bounds_utc(first, last, tz)
    return case(
        *(
            (Session.starts_at < until, month)
            for month, until in zip(months, [*ends, end], strict=True)
        ),
        else_=months[-1],
    )


def _period_sessions(
    start: datetime,
    end: datetime,
    filters: Filters,
    by: By | None,
    bucket: ColumnElement[str] | None,
) -> Subquery:
    """The ids of the period's sessions (narrowed by the filters), with their group; joined
    to their activity only when a filter or the group needs it (a join per visit is dear)."""
    query = select(Session.id, *(() if bucket is None else (bucket.label("bucket"),)))
    by_activity = by in ("activity", "category")
    if by_activity:
        query = query.join(Activity, Activity.id == Session.activity_id)
    return _in_period(query, start, end, filters, joined_activity=by_activity).subquery("period")


def _grouping(
    by: By | None, sessions: dict[int, _SessionFacts], tz: ZoneInfo
) -> Callable[[_SessionFacts, str | None], str]:
    if by == "activity":
        return lambda facts, _department: facts.activity
    if by == "category":
        return lambda facts, _department: facts.category
    if by == "month":
        return lambda facts, _department: facts.starts_at.astimezone(tz).strftime("%Y-%m")
    if by == "department":
        return lambda _facts, department: department or UNKNOWN
    return lambda _facts, _department: TOTAL


def _group_rows(
    by: By | None,
    sessions: dict[int, _SessionFacts],
    departments: dict[int, str],
    first: date,
    last: date,
    tz: ZoneInfo,
    key: Callable[[_SessionFacts, str | None], str],
) -> dict[str, Row]:
    """The groups of the breakdown, in the order they are shown."""
    if by is None:
        return {}
    if by == "month":
        names = _months(first, last)
    elif by == "department":
        names = [*sorted(departments.values()), OUTSIDE, UNKNOWN]
    else:
        names = sorted({key(facts, None) for facts in sessions.values()})
    rows = {name: Row(name) for name in names}
    if by == "department":
        for row in rows.values():
            row.sessions_held = row.sessions_cancelled = row.anonymous_visits = None
    return rows


def _months(first: date, last: date) -> list[str]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _add_denominators(
    orm: OrmSession, rows: dict[str, Row], departments: dict[int, str], year: int
) -> None:
    for department_id, adults in orm.execute(
        select(DepartmentPopulation.department_id, DepartmentPopulation.adults).where(
            DepartmentPopulation.year == year
        )
    ).all():
        row = rows.get(departments[department_id])
        if row is not None:
            row.adults = adults


def column_values(row: Row) -> dict[str, int | float | None]:
    """A row as the contract's columns (ARCHITECTURE.md "Report columns")."""
    return {
        "sessions_held": row.sessions_held,
        "sessions_cancelled": row.sessions_cancelled,
        "visits": row.visits,
        "anonymous_visits": row.anonymous_visits,
        "unique_participants": row.unique_participants,
        "new_participants": row.new_participants,
        "returning_participants": row.returning_participants,
        "no_show_rate": row.no_show_rate,
        "participation_rate": row.participation_rate,
    }


COLUMNS: Sequence[str] = (
    "group",
    "sessions_held",
    "sessions_cancelled",
    "visits",
    "anonymous_visits",
    "unique_participants",
    "new_participants",
    "returning_participants",
    "no_show_rate",
    "participation_rate",
)
