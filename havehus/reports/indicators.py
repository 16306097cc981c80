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

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

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
from havehus.timeutil import day_bounds_utc

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
    #: Only these activities, and only sessions at these places (a target's or register
    #: indicator's scope: an activity type, a theme, places outside the area); empty: nothing.
    activity_ids: frozenset[int] | None = None
    location_ids: frozenset[int] | None = None


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
class SessionFacts:
    """One session of the period, as the figures need it."""

    id: int
    starts_at: datetime
    held: bool
    cancelled: bool
    activity: str
    category: str
    #: drop_in, signup or enrolment (the activity's).
    mode: str = "drop_in"
    #: The session's seats (its own or its activity's); None for drop-ins.
    capacity: int | None = None
    seats_taken: int = 0


@dataclass(frozen=True)
class VisitFacts:
    """One named visit: who came to which session, with what is known about them."""

    session_id: int
    participant_id: int
    department: str
    guests: int
    language: str = ""
    birth_year: int | None = None
    channel: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything a report of one period counts, read in a handful of queries; every figure
    and chart of the period is computed from these, never from a query per group."""

    first: date
    last: date
    tz: ZoneInfo
    sessions: dict[int, SessionFacts]
    #: Named visits (narrowed to the department filter).
    visits: list[VisitFacts]
    #: Adults and children in the head counts, per session.
    tallies: dict[int, int]
    #: (session, department, status) of bookings that ended attended or no-show.
    outcomes: list[tuple[int, str, str]]
    #: Each period visitor's first named visit ever.
    first_visits: dict[int, datetime]
    #: Department id → name.
    departments: dict[int, str]
    #: Department name → residents aged 18+ in the year the period starts in.
    adults: dict[str, int]
    #: What the report narrows to (the further figures read the same sessions).
    filters: Filters = Filters()
    #: The department the filter narrows people to (its name), if any.
    department: str | None = None

    def session_ids(self) -> Select[int]:
        """The period's sessions (after the filters) as a subquery, for further figures."""
        start, end = day_bounds_utc(self.first, self.last, self.tz)
        in_period = _sessions_query(start, end, self.filters)
        return select(Session.id).where(Session.id.in_(in_period.with_only_columns(Session.id)))

    def visit_counts(self) -> Iterable[tuple[SessionFacts, str | None, int]]:
        """Every visit of the period as (session, department, number of visits): each head
        count (no department) and each named visit with the guests who came along on it."""
        for sid, count in self.tallies.items():
            yield self.sessions[sid], None, count
        for visit in self.visits:
            yield self.sessions[visit.session_id], visit.department, 1 + visit.guests


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
    """The report's rows: one per group (in a stable order), then the total."""
    return tabulate(gather(orm, first, last, tz, now, filters), by)


def gather(
    orm: OrmSession,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
    filters: Filters = Filters(),
) -> Facts:
    """Read what the period's figures count: six queries, whatever the period's size."""
    start, end = day_bounds_utc(first, last, tz)
    in_period = _sessions_query(start, end, filters)
    sessions = {
        facts.id: facts
        for facts in (
            SessionFacts(
                id=sid,
                starts_at=starts_at,
                held=status == SessionStatus.SCHEDULED and starts_at <= now,
                cancelled=status == SessionStatus.CANCELLED,
                activity=slug,
                category=category,
                mode=mode,
                capacity=capacity,
                seats_taken=seats_taken,
            )
            for sid, starts_at, status, slug, category, mode, capacity, seats_taken in orm.execute(
                in_period
            ).all()
        )
    }
    ids = select(Session.id).where(Session.id.in_(in_period.with_only_columns(Session.id)))
    departments = dict(orm.execute(select(Department.id, Department.name)).all())
    visits = [
        VisitFacts(
            sid,
            pid,
            department_name(dep, outside, departments),
            guests or 0,
            language,
            birth_year,
            channel,
        )
        for sid, pid, dep, outside, guests, language, birth_year, channel in orm.execute(
            select(
                Visit.session_id,
                Visit.participant_id,
                Participant.department_id,
                Participant.outside_area,
                Booking.guests,
                Participant.language,
                Participant.birth_year,
                Participant.channel,
            )
            .join(Participant, Participant.id == Visit.participant_id)
            .outerjoin(Booking, Booking.id == Visit.booking_id)
            .where(Visit.session_id.in_(ids))
        ).all()
    ]
    wanted = departments.get(filters.department_id) if filters.department_id else None
    if wanted is not None:
        visits = [v for v in visits if v.department == wanted]
    tallies: dict[int, int] = defaultdict(int)
    for sid, kind, count in orm.execute(
        select(Tally.session_id, Tally.kind, Tally.count).where(Tally.session_id.in_(ids))
    ).all():
        if kind in ("adults", "children"):  # first-timers are among them, not beside them
            tallies[sid] += count
    outcomes = [
        (sid, department_name(dep, outside, departments), status)
        for sid, dep, outside, status in orm.execute(
            select(
                Booking.session_id,
                Participant.department_id,
                Participant.outside_area,
                Booking.status,
            )
            .join(Participant, Participant.id == Booking.participant_id)
            .where(
                Booking.session_id.in_(ids),
                Booking.status.in_((BookingStatus.ATTENDED, BookingStatus.NO_SHOW)),
            )
        ).all()
        if sid is not None
    ]
    if wanted is not None:
        outcomes = [outcome for outcome in outcomes if outcome[1] == wanted]
    adults = {
        departments[department_id]: count
        for department_id, count in orm.execute(
            select(DepartmentPopulation.department_id, DepartmentPopulation.adults).where(
                DepartmentPopulation.year == first.year
            )
        ).all()
    }
    return Facts(
        first=first,
        last=last,
        tz=tz,
        sessions=sessions,
        visits=visits,
        tallies=dict(tallies),
        outcomes=outcomes,
        first_visits=_first_visits(orm, ids),
        departments=departments,
        adults=adults,
        filters=filters,
        department=wanted,
    )


def tabulate(facts: Facts, by: By | None = None) -> list[Row]:
    """The rows of one breakdown of the period's facts (no query)."""
    first, last, tz, sessions = facts.first, facts.last, facts.tz, facts.sessions
    key = _grouping(by, sessions, tz)
    rows = _group_rows(by, sessions, facts.departments, first, last, tz, key)
    total = Row(TOTAL)
    for session in sessions.values():
        for row in (rows.get(key(session, None)), total) if by != "department" else (total,):
            if row is not None:
                row.sessions_held = (row.sessions_held or 0) + session.held
                row.sessions_cancelled = (row.sessions_cancelled or 0) + session.cancelled
    for sid, count in facts.tallies.items():  # not anyone's department: the total only, then
        for row in (
            _targets(by, rows, total, key(sessions[sid], None)) if by != "department" else (total,)
        ):
            row.visits += count
            if row.anonymous_visits is not None:
                row.anonymous_visits += count
    for visit in facts.visits:
        group = key(sessions[visit.session_id], visit.department)
        for row in _targets(by, rows, total, group):
            row.visits += 1 + visit.guests  # the guests they brought came unnamed
            if row.anonymous_visits is not None:
                row.anonymous_visits += visit.guests
            row._people[visit.participant_id] = row._people.get(visit.participant_id, 0) + 1
    for sid, department, status in facts.outcomes:
        for row in _targets(by, rows, total, key(sessions[sid], department)):
            row.bookings_decided += 1
            row.no_shows += status == BookingStatus.NO_SHOW
    start_day, end_day = day_bounds_utc(first, last, tz)
    for row in (*rows.values(), total):
        row.unique_participants = len(row._people)
        row.returning_participants = sum(1 for n in row._people.values() if n >= 2)
        row.new_participants = sum(
            1 for pid in row._people if start_day <= facts.first_visits[pid] < end_day
        )
    if by == "department":
        for name, adults in facts.adults.items():
            row = rows.get(name)
            if row is not None:
                row.adults = adults
    return [*rows.values(), total]


def _sessions_query(
    start: datetime, end: datetime, filters: Filters
) -> Select[int, datetime, str, str, str, str, int | None, int]:
    query = (
        select(
            Session.id,
            Session.starts_at,
            Session.status,
            Activity.slug,
            Activity.category,
            Activity.mode,
            func.coalesce(Session.capacity, Activity.capacity),
            Session.seats_taken,
        )
        .join(Activity, Activity.id == Session.activity_id)
        .where(Session.starts_at >= start, Session.starts_at < end)
        .order_by(Session.starts_at, Session.id)
    )
    location = func.coalesce(Session.location_id, Activity.location_id)
    if filters.location_id is not None:
        query = query.where(location == filters.location_id)
    if filters.location_ids is not None:
        query = query.where(location.in_(sorted(filters.location_ids)))
    if filters.activity_ids is not None:
        query = query.where(Activity.id.in_(sorted(filters.activity_ids)))
    if filters.activity_id is not None:
        query = query.where(Activity.id == filters.activity_id)
    if filters.category is not None:
        query = query.where(Activity.category == filters.category)
    return query


def department_name(department_id: int | None, outside: bool, names: dict[int, str]) -> str:
    if outside:
        return OUTSIDE
    if department_id is None:
        return UNKNOWN
    return names[department_id]


def _first_visits(orm: OrmSession, ids: Select[int]) -> dict[int, datetime]:
    """Each period visitor's first visit ever (any session, any time)."""
    visitors = select(Visit.participant_id).where(Visit.session_id.in_(ids))
    return dict(
        orm.execute(
            select(Visit.participant_id, func.min(Session.starts_at))
            .join(Session, Session.id == Visit.session_id)
            .where(Visit.participant_id.in_(visitors))
            .group_by(Visit.participant_id)
        ).all()
    )


def _grouping(
    by: By | None, sessions: dict[int, SessionFacts], tz: ZoneInfo
) -> Callable[[SessionFacts, str | None], str]:
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
    sessions: dict[int, SessionFacts],
    departments: dict[int, str],
    first: date,
    last: date,
    tz: ZoneInfo,
    key: Callable[[SessionFacts, str | None], str],
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


def _targets(by: By | None, rows: dict[str, Row], total: Row, group: str) -> Iterable[Row]:
    row = rows.get(group) if by is not None else None
    return (row, total) if row is not None else (total,)


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
