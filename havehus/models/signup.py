"""Bookings: a participant's seat (or waitlist place) in a session or a course."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import db
from havehus.models.people import Participant, StaffUser
from havehus.models.program import Activity, Session, _in
from havehus.orm import UTCDateTime

BOOKING_STATUSES = ("confirmed", "offered", "waitlisted", "cancelled", "attended", "no_show")
BOOKING_SOURCES = ("kiosk", "web", "staff", "api", "sms")
#: Statuses that hold a seat.
SEAT_HOLDING = ("confirmed", "offered")


class Booking(db.Model):
    """One participant in one session, or in a whole course (enrolment)."""

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(_in("source", BOOKING_SOURCES), name="source"),
        # Exactly one of session (sign-up) and activity (enrolment in a course).
        CheckConstraint(
            "(session_id IS NULL) <> (activity_id IS NULL)", name="session_xor_activity"
        ),
        UniqueConstraint("participant_id", "session_id"),
        UniqueConstraint("participant_id", "activity_id"),
        Index("ix_booking_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(8))
    #: Staff user who made the booking on the person's behalf.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Waitlist order: the earliest waitlisted_at is offered the next free seat.
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: An offered seat is held until then; afterwards it passes to the next person.
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person answered "yes" to a reminder.
    intent_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person would like a volunteer to come along (følgeskab).
    wants_company: Mapped[bool] = mapped_column(default=False)
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    staff_note: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 of the cancel-link token; the token itself is never stored.
    cancel_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    participant: Mapped[Participant] = relationship()
    session: Mapped[Session | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    companion: Mapped[StaffUser | None] = relationship(foreign_keys=[companion_id])

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"
