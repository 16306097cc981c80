"""The figures of /staff/reports beside the contract's columns, each defined once in
docs/indicators.md: visits per session, fill rate, the reminder effect, seats refilled from
the waiting list, who the participants are, and the series the charts draw.

They are computed from the period's `Facts` (indicators.gather) — no query of their own —
except the reminder effect, the refills, the wellbeing pulse and the weekly visits, which read
one query each over the same sessions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from havehus.models import Booking, BookingStatus, OutboundMessage, Participant, Pulse
from havehus.models.attendance import PULSE_FACES
from havehus.models.messaging import MessageKind, MessageStatus
from havehus.orm import OrmSession
from havehus.reports.indicators import OUTSIDE, UNKNOWN, Facts, Row, department_name

#: Age bands (by birth year, the age reached in the year the period ends); never an age.
AGE_BANDS = ("0-17", "18-29", "30-49", "50-64", "65+", UNKNOWN)


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole, or None with nothing to divide by."""
    return part / whole if whole else None


def visits_per_session(row: Row) -> float | None:
    """Average visits per session: visits ÷ sessions held (None without sessions held)."""
    return ratio(row.visits, row.sessions_held or 0)


@dataclass(frozen=True)
class FillRate:
    """Seats booked ÷ seats offered in the held sessions of sign-up activities."""

    sessions: int
    seats_booked: int
    capacity: int

    @property
    def rate(self) -> float | None:
        return ratio(self.seats_booked, self.capacity)


def fill_rate(facts: Facts) -> FillRate:
    """The held sign-up sessions' booked seats (the seat counter: attended, no-shows, seats
    held) against their capacity; drop-ins and courses are not in it."""
    held = [s for s in facts.sessions.values() if s.held and s.mode == "signup" and s.capacity]
    return FillRate(
        sessions=len(held),
        seats_booked=sum(s.seats_taken for s in held),
        capacity=sum(s.capacity or 0 for s in held),
    )


@dataclass(frozen=True)
class ShowUp:
    """Decided bookings (attended or no-show) and how many of them came."""

    attended: int = 0
    decided: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.attended, self.decided)


@dataclass(frozen=True)
class ReminderEffect:
    reminded: ShowUp
    not_reminded: ShowUp


def reminder_effect(orm: OrmSession, facts: Facts) -> ReminderEffect:
    """Show-up rate of the period's decided bookings with a delivered reminder text, and of
    those without one (one query)."""
    ids = facts.session_ids()
    delivered = (
        select(OutboundMessage.booking_id)
        .where(
            OutboundMessage.kind == MessageKind.REMINDER,
            OutboundMessage.status == MessageStatus.DELIVERED,
            OutboundMessage.booking_id.is_not(None),
        )
        .distinct()
        .subquery()
    )
    counts: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for status, department_id, outside, reminded in orm.execute(
        select(
            Booking.status,
            Participant.department_id,
            Participant.outside_area,
            delivered.c.booking_id.is_not(None),
        )
        .join(Participant, Participant.id == Booking.participant_id)
        .outerjoin(delivered, delivered.c.booking_id == Booking.id)
        .where(
            Booking.session_id.in_(ids),
            Booking.status.in_((BookingStatus.ATTENDED, BookingStatus.NO_SHOW)),
        )
    ).all():
        department = department_name(department_id, outside, facts.departments)
        if facts.department is not None and department != facts.department:
            continue
        counts[bool(reminded)][status] += 1

    def show_up(counter: Counter[str]) -> ShowUp:
        attended = counter[BookingStatus.ATTENDED]
        return ShowUp(attended=attended, decided=attended + counter[BookingStatus.NO_SHOW])

    return ReminderEffect(reminded=show_up(counts[True]), not_reminded=show_up(counts[False]))


@dataclass(frozen=True)
class Refills:
    """Seats freed by cancellations before the start, and how many of them the waiting list
    filled again before the start, in the held sign-up sessions of the period."""

    freed: int = 0
    refilled: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.refilled, self.freed)


def refills(orm: OrmSession, facts: Facts) -> Refills:
    """Per session: seats (the person's and their guests') of bookings cancelled before the
    start that held a seat, and the seats the waiting list gave out before the start — at most
    as many as were freed. Summed over the sessions (one query)."""
    sessions = {s.id: s for s in facts.sessions.values() if s.held and s.mode == "signup"}
    freed: dict[int, int] = defaultdict(int)
    refilled: dict[int, int] = defaultdict(int)
    for sid, status, guests, waitlisted_at, promoted_at, cancelled_at in orm.execute(
        select(
            Booking.session_id,
            Booking.status,
            Booking.guests,
            Booking.waitlisted_at,
            Booking.promoted_at,
            Booking.cancelled_at,
        ).where(
            Booking.session_id.in_(facts.session_ids()),
            (Booking.cancelled_at.is_not(None)) | (Booking.promoted_at.is_not(None)),
        )
    ).all():
        session = sessions.get(sid) if sid is not None else None
        if sid is None or session is None:
            continue
        seats = 1 + (guests or 0)
        held_a_seat = waitlisted_at is None or promoted_at is not None
        if (
            status == BookingStatus.CANCELLED
            and held_a_seat
            and cancelled_at is not None
            and cancelled_at < session.starts_at
        ):
            freed[sid] += seats
        if promoted_at is not None and promoted_at < session.starts_at:
            refilled[sid] += seats
    return Refills(
        freed=sum(freed.values()),
        refilled=sum(min(refilled[sid], seats) for sid, seats in freed.items()),
    )


def age_band(birth_year: int | None, year: int) -> str:
    """The band of the age reached in `year`; UNKNOWN without a birth year."""
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    if age < 18:
        return "0-17"
    if age < 30:
        return "18-29"
    if age < 50:
        return "30-49"
    if age < 65:
        return "50-64"
    return "65+"


@dataclass(frozen=True)
class Profile:
    """The period's unique participants counted by one property each (every person once)."""

    department: dict[str, int]
    language: dict[str, int]
    age_band: dict[str, int]
    channel: dict[str, int]


def profile(facts: Facts) -> Profile:
    """Who the period visitors are: by housing department (in the report's order), language,
    age band and recruitment channel (each by count, then name)."""
    people = facts.people
    departments = Counter(v.department for v in people.values())
    order = [*sorted(facts.departments.values()), OUTSIDE, UNKNOWN]
    bands = Counter(age_band(v.birth_year, facts.last.year) for v in people.values())
    return Profile(
        department={name: departments[name] for name in order if departments[name]},
        language=_by_count(Counter(v.language for v in people.values())),
        age_band={band: bands[band] for band in AGE_BANDS if bands[band]},
        channel=_by_count(Counter(v.channel for v in people.values())),
    )


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weeks(first: date, last: date) -> list[str]:
    """Every ISO week the period touches, in order."""
    names: list[str] = []
    day = first - timedelta(days=first.weekday())
    while day <= last:
        names.append(iso_week(day))
        day += timedelta(days=7)
    return names


def weekly_visits_by_category(facts: Facts) -> dict[str, dict[str, int]]:
    """Visits (named and anonymous, as in the report) per ISO week and category."""
    series: dict[str, dict[str, int]] = {week: {} for week in weeks(facts.first, facts.last)}
    for session, count in facts.visit_counts():
        week = series[iso_week(session.starts_at.astimezone(facts.tz).date())]
        week[session.category] = week.get(session.category, 0) + count
    return series


@dataclass(frozen=True)
class WellbeingPulse:
    """How many answered "How are you today?" with each face (1 very bad … 5 very good) in
    the period's sessions, and in how many sessions anyone answered."""

    faces: dict[int, int]
    sessions: int

    @property
    def answers(self) -> int:
        return sum(self.faces.values())

    def share(self, face: int) -> float | None:
        """The face's part of all answers (None without answers)."""
        return ratio(self.faces[face], self.answers)


def wellbeing_pulse(orm: OrmSession, facts: Facts) -> WellbeingPulse | None:
    """The pulse of the period's sessions (after the filters), every face present. None when
    the report is narrowed to a housing department: a face is never linked to a person, so
    it cannot be anyone's department."""
    if facts.department is not None:
        return None
    faces = dict.fromkeys(PULSE_FACES, 0)
    asked: set[int] = set()
    for session_id, face, count in orm.execute(
        select(Pulse.session_id, Pulse.face, Pulse.count).where(
            Pulse.session_id.in_(facts.session_ids()), Pulse.count > 0
        )
    ).all():
        faces[face] += count
        asked.add(session_id)
    return WellbeingPulse(faces=faces, sessions=len(asked))
