"""Checks that the counters kept for speed agree with the records they count.

A seat is taken by a conditional UPDATE of a counter (never by counting bookings), so the
counters are the promise; this says when one has drifted from the bookings it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from havehus.models import Activity, Booking, Session
from havehus.models.signup import SEAT_COUNTED
from havehus.orm import OrmSession


@dataclass(frozen=True)
class SeatDrift:
    """A seat counter that does not equal the bookings counted in it."""

    #: "session" (seats of one session) or "course" (places of an enrolment activity).
    kind: str
    id: int
    counter: int
    bookings: int

    def __str__(self) -> str:
        return f"{self.kind} {self.id}: counter {self.counter}, bookings {self.bookings}"


def seat_drift(orm: OrmSession) -> list[SeatDrift]:
    """Every session and course whose seat counter differs from its seat-counted bookings
    (each counts its person and the guests who come along)."""
    drift: list[SeatDrift] = []
    for kind, model, counter, key in (
        ("session", Session, Session.seats_taken, Booking.session_id),
        ("course", Activity, Activity.places_taken, Booking.activity_id),
    ):
        counted = (
            select(key.label("holder_id"), func.sum(1 + Booking.guests).label("n"))
            .where(key.is_not(None), Booking.status.in_(SEAT_COUNTED))
            .group_by(key)
            .subquery()
        )
        bookings = func.coalesce(counted.c.n, 0)
        rows = orm.execute(
            select(model.id, counter, bookings)
            .outerjoin(counted, counted.c.holder_id == model.id)
            .where(counter != bookings)
            .order_by(model.id)
        ).all()
        drift.extend(SeatDrift(kind, row[0], row[1], row[2]) for row in rows)
    return drift
