"""What host mode shows: the day's sessions, and one session's sheet of who came.

Read-only views of the attendance rules in services.py, built once for the page and its JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from havehus.attendance import services
from havehus.attendance.pulse import offers_pulse, pulse_counts
from havehus.attendance.services import Counts
from havehus.errors import HavehusError
from havehus.models import Booking, BookingStatus, Mode, Session, SessionAttendance, Visit
from havehus.models.program import VISIBILITIES
from havehus.models.signup import LIVE
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.program.services import public_sessions_between
from havehus.signup.services import sees_who_booked

#: Host mode lists the chosen day and the days after it, up to a week.
DAYS_SHOWN = 7


@dataclass(frozen=True)
class Card:
    """One person on the sheet: booked (booking_id) or come without a booking (walk-in)."""

    label: str
    came: bool
    booking_id: int | None = None
    visit_id: int | None = None
    status: str | None = None
    guests: int = 0
    #: Where the visit was recorded (host, kiosk, qr), when it was.
    source: str | None = None
    wants_company: bool = False


@dataclass(frozen=True)
class Sheet:
    session: Session
    names_visible: bool
    cards: list[Card]
    counts: Counts
    booked_seats: int
    named_visits: int
    note: str
    closed_at: datetime | None
    locked: bool
    locks_at: datetime
    unlocked_until: datetime | None
    may_record: bool
    why_not: str = ""
    problems: list[str] = field(default_factory=list)
    #: The wellbeing pulse's counts per face; empty when the activity does not ask.
    pulse: dict[int, int] = field(default_factory=dict)

    @property
    def visits(self) -> int:
        """Everyone who came: named visits, the guests they brought, and the counts."""
        guests = sum(card.guests for card in self.cards if card.came)
        return self.named_visits + guests + self.counts.visits


def labels(names: list[str]) -> list[str]:
    """First names, with the next name's initial added where two people share one."""
    firsts = [(name.split() or ["?"])[0] for name in names]
    shared = Counter(firsts)
    result = []
    for name, first in zip(names, firsts, strict=True):
        rest = name.split()[1:]
        result.append(f"{first} {rest[0][0]}." if shared[first] > 1 and rest else first)
    repeated = Counter(result)
    seen: Counter[str] = Counter()
    numbered = []
    for label in result:  # still the same: number them, so a tap never hits the wrong one
        seen[label] += 1
        numbered.append(f"{label} ({seen[label]})" if repeated[label] > 1 else label)
    return numbered


def sheet(orm: OrmSession, session: Session, now: datetime, actor: Actor) -> Sheet:
    """The session's sheet as this actor may see it (a host sees no names at a health
    appointment: only the counts)."""
    names_visible = sees_who_booked(actor, session.activity)
    course = session.activity.mode == Mode.ENROLMENT
    holder = (
        Booking.activity_id == session.activity_id if course else Booking.session_id == session.id
    )
    bookings = orm.scalars(
        select(Booking)
        .where(holder, Booking.status.in_(LIVE))
        .options(selectinload(Booking.participant))
        .order_by(Booking.created_at, Booking.id)
    ).all()
    visits = orm.scalars(
        select(Visit)
        .where(Visit.session_id == session.id)
        .options(selectinload(Visit.participant))
        .order_by(Visit.at, Visit.id)
    ).all()
    cards = _cards(bookings, visits) if names_visible else []
    state = orm.get(SessionAttendance, session.id)
    try:
        services.check_may_record(orm, session, now, actor)
        why_not = ""
    except HavehusError as error:
        why_not = error.message
    seat_holding = (BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.ATTENDED)
    return Sheet(
        session=session,
        names_visible=names_visible,
        cards=cards,
        counts=services.counts(orm, session.id),
        booked_seats=sum(b.seats for b in bookings if b.status in seat_holding),
        named_visits=len(visits),
        note=(state.note if state else None) or "",
        closed_at=state.closed_at if state else None,
        locked=services.is_locked(session, state, now),
        locks_at=services.locks_at(session),
        unlocked_until=state.unlocked_until if state else None,
        may_record=not why_not,
        why_not=why_not,
        pulse=pulse_counts(orm, session.id) if offers_pulse(session) else {},
    )


def _cards(bookings: Sequence[Booking], visits: Sequence[Visit]) -> list[Card]:
    visit_of = {visit.participant_id: visit for visit in visits}
    booked = [
        b for b in bookings if b.status != BookingStatus.WAITLISTED or b.participant_id in visit_of
    ]
    walk_ins = [v for v in visits if v.participant_id not in {b.participant_id for b in booked}]
    names = [b.participant.display_name or "?" for b in booked] + [
        v.participant.display_name or "?" for v in walk_ins
    ]
    named = labels(names)
    cards = []
    for label, booking in zip(named, booked, strict=False):
        visit = visit_of.get(booking.participant_id)
        cards.append(
            Card(
                label=label,
                came=visit is not None or booking.status == BookingStatus.ATTENDED,
                booking_id=booking.id,
                visit_id=visit.id if visit else None,
                status=booking.status,
                guests=booking.guests,
                source=visit.source if visit else None,
                wants_company=booking.wants_company,
            )
        )
    for label, visit in zip(named[len(booked) :], walk_ins, strict=True):
        cards.append(Card(label=label, came=True, visit_id=visit.id, source=visit.source))
    return cards


@dataclass(frozen=True)
class HostDay:
    day: date
    sessions: list[Session]


def host_days(orm: OrmSession, first: date, tz: ZoneInfo) -> list[HostDay]:
    """The chosen day and the six after it, each with every session on it (any visibility)."""
    last = first + timedelta(days=DAYS_SHOWN - 1)
    found = public_sessions_between(orm, first, last, tz, visibilities=VISIBILITIES)
    days: dict[date, list[Session]] = {first + timedelta(days=o): [] for o in range(DAYS_SHOWN)}
    for session in found:
        days.setdefault(session.starts_at.astimezone(tz).date(), []).append(session)
    return [HostDay(day, sessions) for day, sessions in days.items()]
