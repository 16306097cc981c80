"""Named visits agree with the bookings they mark: `havehus check`, and after every test.

A session booking says "attended" exactly when its person has a visit to that session; a
visit made from a booking points at a booking that still says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select

from havehus.models import Booking, BookingStatus, Visit
from havehus.orm import OrmSession


@dataclass(frozen=True)
class VisitDrift:
    booking_id: int
    problem: str

    def __str__(self) -> str:
        return f"booking {self.booking_id}: {self.problem}"


def visit_drift(orm: OrmSession) -> list[VisitDrift]:
    """Attended session bookings without a visit, and visits of bookings no longer attended."""
    unvisited = orm.scalars(
        select(Booking.id)
        .outerjoin(
            Visit,
            and_(
                Visit.session_id == Booking.session_id,
                Visit.participant_id == Booking.participant_id,
            ),
        )
        .where(
            Booking.session_id.is_not(None),
            Booking.status == BookingStatus.ATTENDED,
            Visit.id.is_(None),
        )
    ).all()
    stale = orm.scalars(
        select(Booking.id)
        .join(Visit, Visit.booking_id == Booking.id)
        .where(Booking.session_id.is_not(None), Booking.status != BookingStatus.ATTENDED)
    ).all()
    return [VisitDrift(i, "attended without a visit") for i in unvisited] + [
        VisitDrift(i, "has a visit but is not attended") for i in stale
    ]
