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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Literal, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, select

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

#: The columns of a query.
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
class PersonFacts:
    """A period visitor as the figures need them (never a name or a number)."""

    department: str
    language: str = ""
    birth_year: int | None = None
    channel: str = ""


#: (participant, group, named visits): a period visitor's visits in one group of a breakdown
#: (the group None: the whole period).
Named = tuple[int, str | None, int]


@dataclass
class Facts:
    """Everything a report of one period counts, read in a handful of narrow queries; every
    figure and chart of the period is computed from these, never from a query per group.

    Named visits are read added up per person (and per group of a breakdown, when one is
    asked for), not one row per visit: a year has tens of thousands of visits but a few
    hundred visitors."""

    first: date
    last: date
    tz: ZoneInfo
    sessions: dict[int, SessionFacts]
    #: The period visitors (narrowed to the department filter).
    people: dict[int, PersonFacts]
    #: (session, participant, guests) of the period visitors' visits that brought guests.
    guests: list[tuple[int, int, int]]
    #: Adults and children in the head counts, per session.
    tallies: dict[int, int]
    #: (session, department, status, number) of bookings that ended attended or no-show.
    outcomes: list[tuple[int, str, str, int]]
    #: The period visitors who had a named visit before the period (the others are new).
    came_before: frozenset[int]
    #: Department id → name.
    departments: dict[int, str]
    #: Department name → residents aged 18+ in the year the period starts in.
    adults: dict[str, int]
    #: What the report narrows to (the further figures read the same sessions).
    filters: Filters = Filters()
    #: The department the filter narrows people to (its name), if any.
    department: str | None = None
    orm: OrmSession | None = field(default=None, repr=False)
    _named: dict[By | None, list[Named]] = field(default_factory=dict, repr=False)

    def session_ids(self) -> Select[int]:
        """The period's sessions (after the filters) as a subquery, for further figures."""
        start, end = day_bounds_utc(self.first, self.last, self.tz)
        return _session_ids(start, end, self.filters)

    def named(self, by: By | None = None) -> list[Named]:
        """Each period visitor's named visits, per group of a breakdown by the sessions
        (activity, category, month), or over the whole period (None, and by department: a
        person's department is theirs, not a session's). One query each, read once."""
        key: By | None = by if by in SESSION_GROUPS else None
        if key not in self._named:
            assert self.orm is not None, "facts made without a database session"
            start, end = day_bounds_utc(self.first, self.last, self.tz)
            group = _session_group(key, self.first, self.last, self.tz)
            columns = (Visit.participant_id, *(() if group is None else (group,)))
            query = (
                select(*columns, func.count(Visit.id))
                .where(Visit.session_id.in_(_session_ids(start, end, self.filters)))
                .group_by(*columns)
            )
            if group is not None:
                query = query.join(Session, Session.id == Visit.session_id)
                if key in ("activity", "category"):
                    query = query.join(Activity, Activity.id == Session.activity_id)
            rows = self.orm.connection().execute(_of_people(query, self.filters))
            self._named[key] = [
                (row[0], None if group is None else row[1], row[-1])
                for row in rows
                if row[0] in self.people
            ]
        return self._named[key]

    def visit_counts(self) -> Iterable[tuple[SessionFacts, int]]:
        """Every session's visits as the report counts them (one query, on demand): the head
        count, and the named visits with the guests who came along."""
        assert self.orm is not None, "facts made without a database session"
        start, end = day_bounds_utc(self.first, self.last, self.tz)
        counts: dict[int, int] = defaultdict(int, self.tallies)
        query = (
            select(Visit.session_id, func.count(Visit.id))
            .where(Visit.session_id.in_(_session_ids(start, end, self.filters)))
            .group_by(Visit.session_id)
        )
        for sid, count in self.orm.connection().execute(_of_people(query, self.filters)):
            counts[sid] += count
        for sid, _pid, guests in self.guests:
            counts[sid] += guests
        for sid, count in counts.items():
            yield self.sessions[sid], count


#: The breakdowns whose groups are the sessions' (the department is a person's).
SESSION_GROUPS: tuple[By, ...] = ("activity", "category", "month")


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
    """Read what the period's figures count: eight narrow queries, whatever the period's
    size, and one per breakdown asked of it (tests/reports/test_report_queries.py). Each
    reads only the columns it needs, added up in SQL where it can, through the connection
    (no ORM rows): a wide join per visit is what once made a year's report slow."""
    start, end = day_bounds_utc(first, last, tz)
    connection = orm.connection()
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
            for sid, starts_at, status, slug, category, mode, capacity, seats_taken in (
                connection.execute(_sessions_query(start, end, filters))
            )
        )
    }
    ids = _session_ids(start, end, filters)
    departments: dict[int, str] = dict(
        connection.execute(select(Department.id, Department.name)).all()
    )
    wanted = departments.get(filters.department_id) if filters.department_id else None
    # The period visitors with their named visits over the whole period (tabulate's total).
    people: dict[int, PersonFacts] = {}
    named: list[Named] = []
    for pid, dep, outside, language, born, channel, count in connection.execute(
        _of_department(
            select(
                Participant.id,
                Participant.department_id,
                Participant.outside_area,
                Participant.language,
                Participant.birth_year,
                Participant.channel,
                func.count(Visit.id),
            )
            .join(Visit, Visit.participant_id == Participant.id)
            .where(Visit.session_id.in_(ids))
            .group_by(Participant.id),
            filters,
        )
    ):
        people[pid] = PersonFacts(
            department_name(dep, outside, departments), language, born, channel
        )
        named.append((pid, None, count))
    guests = [
        (sid, pid, count)
        for sid, pid, count in connection.execute(
            select(Visit.session_id, Visit.participant_id, Booking.guests)
            .join(Visit, Visit.booking_id == Booking.id)
            .where(Booking.session_id.in_(ids), Booking.guests > 0)
        )
        if pid in people
    ]
    tallies: dict[int, int] = defaultdict(int)
    for sid, count in connection.execute(
        select(Tally.session_id, func.sum(Tally.count))
        .where(
            Tally.session_id.in_(ids),
            # first-timers are among the adults and children, not beside them
            Tally.kind.in_(("adults", "children")),
        )
        .group_by(Tally.session_id)
    ):
        if count:
            tallies[sid] += count
    outcome = (Booking.session_id, Participant.department_id, Participant.outside_area)
    outcomes = [
        (sid, department, status, count)
        for sid, dep, outside, status, count in connection.execute(
            select(*outcome, Booking.status, func.count(Booking.id))
            .join(Participant, Participant.id == Booking.participant_id)
            .where(
                Booking.session_id.in_(ids),
                Booking.status.in_((BookingStatus.ATTENDED, BookingStatus.NO_SHOW)),
            )
            .group_by(*outcome, Booking.status)
        )
        if sid is not None
        for department in (department_name(dep, outside, departments),)
        if wanted is None or department == wanted
    ]
    # A period visitor is new unless they had a named visit before the period: their first
    # visit ever then lies in it, since they have one in it.
    came_before = frozenset(
        connection.execute(
            select(Visit.participant_id)
            .where(Visit.session_id.in_(select(Session.id).where(Session.starts_at < start)))
            .distinct()
        ).scalars()
    ).intersection(people)
    adults = {
        departments[department_id]: count
        for department_id, count in connection.execute(
            select(DepartmentPopulation.department_id, DepartmentPopulation.adults).where(
                DepartmentPopulation.year == first.year
            )
        )
    }
    return Facts(
        first=first,
        last=last,
        tz=tz,
        sessions=sessions,
        people=people,
        guests=guests,
        tallies=dict(tallies),
        outcomes=outcomes,
        came_before=came_before,
        departments=departments,
        adults=adults,
        filters=filters,
        department=wanted,
        orm=orm,
        _named={None: named},
    )


def tabulate(facts: Facts, by: By | None = None) -> list[Row]:
    """The rows of one breakdown of the period's facts (a query for a breakdown by the
    sessions' groups, the first time it is asked of these facts)."""
    first, last, tz, sessions = facts.first, facts.last, facts.tz, facts.sessions
    key = _grouping(by, tz)
    rows = _group_rows(by, sessions, facts.departments, first, last, tz, key)
    total = Row(TOTAL)
    by_session = by in SESSION_GROUPS
    by_department = by == "department"

    def row_of(session: SessionFacts | None, department: str | None) -> Row | None:
        """The row besides the total that figures of a session (or a person) go to: none
        for head counts by department (they are nobody's department)."""
        if by_department:
            return None if department is None else rows.get(department)
        return rows.get(key(session, None)) if by_session and session is not None else None

    for session in sessions.values():
        for row in (total, row_of(session, None)):
            if row is not None:
                row.sessions_held = (row.sessions_held or 0) + session.held
                row.sessions_cancelled = (row.sessions_cancelled or 0) + session.cancelled
    for sid, count in facts.tallies.items():
        for row in (total, row_of(sessions[sid], None)):
            if row is not None:
                row.visits += count
                if row.anonymous_visits is not None:
                    row.anonymous_visits += count
    for sid, pid, guests in facts.guests:  # the guests they brought came unnamed
        for row in (total, row_of(sessions[sid], facts.people[pid].department)):
            if row is not None:
                row.visits += guests
                if row.anonymous_visits is not None:
                    row.anonymous_visits += guests
    groups = (
        [(rows.get(group or ""), pid, count) for pid, group, count in facts.named(by)]
        if by_session
        else []
    )
    for pid, _whole, count in facts.named(None):
        groups.append((total, pid, count))
        if by_department:
            groups.append((rows.get(facts.people[pid].department), pid, count))
    for row, pid, count in groups:
        if row is not None:
            row.visits += count
            row._people[pid] = row._people.get(pid, 0) + count
    for sid, department, status, count in facts.outcomes:
        for row in (total, row_of(sessions[sid], department)):
            if row is not None:
                row.bookings_decided += count
                row.no_shows += count if status == BookingStatus.NO_SHOW else 0
    for row in (*rows.values(), total):
        row.unique_participants = len(row._people)
        row.returning_participants = sum(1 for n in row._people.values() if n >= 2)
        row.new_participants = sum(1 for pid in row._people if pid not in facts.came_before)
    if by_department:
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


def _session_ids(start: datetime, end: datetime, filters: Filters) -> Select[int]:
    """The ids of the period's sessions after the filters, for `IN (…)`: joined to their
    activity only when a filter needs it, never ordered."""
    if replace(filters, department_id=None) != Filters():  # a filter of the sessions
        return _sessions_query(start, end, filters).with_only_columns(Session.id).order_by(None)
    return select(Session.id).where(Session.starts_at >= start, Session.starts_at < end)


def _of_department(query: Select[*Columns], filters: Filters) -> Select[*Columns]:
    """The query over participants narrowed to the department filter's residents."""
    if filters.department_id is None:
        return query
    return query.where(
        Participant.department_id == filters.department_id, Participant.outside_area.is_(False)
    )


def _of_people(query: Select[*Columns], filters: Filters) -> Select[*Columns]:
    """The query over visits narrowed to the department filter's residents."""
    if filters.department_id is None:
        return query
    return query.where(Visit.participant_id.in_(_of_department(select(Participant.id), filters)))


def _session_group(
    by: By | None, first: date, last: date, tz: ZoneInfo
) -> ColumnElement[str] | None:
    """A session's group as SQL: its activity, its category, or the local month it starts in
    (a CASE over the months' first instants in UTC, as `_grouping` reads a start); None for
    the whole period."""
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


def department_name(department_id: int | None, outside: bool, names: dict[int, str]) -> str:
    if outside:
        return OUTSIDE
    if department_id is None:
        return UNKNOWN
    return names[department_id]


def _grouping(by: By | None, tz: ZoneInfo) -> Callable[[SessionFacts, str | None], str]:
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
