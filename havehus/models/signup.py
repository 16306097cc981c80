"""Bookings: a participant's seat (or waitlist place) in a session or a course."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.people import Participant, StaffUser
from havehus.models.program import Activity, Session, _in
from havehus.orm import UTCDateTime


class BookingStatus(StrEnum):
    """Where a booking stands; an offered seat (held for an answer) counts as taken."""

    CONFIRMED = "confirmed"
    OFFERED = "offered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class BookingSource(StrEnum):
    """The door a booking came in by."""

    KIOSK = "kiosk"
    WEB = "web"
    STAFF = "staff"
    API = "api"
    SMS = "sms"


BOOKING_STATUSES = tuple(BookingStatus)
BOOKING_SOURCES = tuple(BookingSource)
#: Statuses that hold a seat now (cancelling one frees it for the waiting list).
SEAT_HOLDING = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)
#: Statuses counted in a session's (or course's) seat counter: a seat held, or one that was
#: used (attended) or stood empty (no-show) — it was theirs either way.
SEAT_COUNTED = (*SEAT_HOLDING, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
#: Statuses of a booking still ahead of its session: it can be cancelled, and its holder is
#: told when the session changes.
OPEN = (*SEAT_HOLDING, BookingStatus.WAITLISTED)
#: Statuses of a booking that still stands (not cancelled).
LIVE = (*OPEN, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
#: At most this many people come along on one booking (family sharing the booker's phone).
MAX_GUESTS = 4


class Booking(Model):
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
        CheckConstraint(f"guests >= 0 AND guests <= {MAX_GUESTS}", name="guests_range"),
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
    #: When the waiting list gave this booking a seat (a seat freed by someone else refilled);
    #: None for a booking that got its seat at once.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person answered "yes" to a reminder.
    intent_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person would like a volunteer to come along (følgeskab).
    wants_company: Mapped[bool] = mapped_column(default=False)
    #: People coming along on this booking ("+2": family who share the booker's phone); each
    #: takes a seat too, so the booking holds 1 + guests seats.
    guests: Mapped[int] = mapped_column(default=0, server_default="0")
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    staff_note: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 of the booking link's token; the token itself is never stored.
    cancel_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Random salt of the booking link (an HMAC of the booking), so texts can carry the same
    #: link again; a new nonce revokes every earlier link.
    link_nonce: Mapped[str | None] = mapped_column(String(32))

    participant: Mapped[Participant] = relationship()
    session: Mapped[Session | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    companion: Mapped[StaffUser | None] = relationship(foreign_keys=[companion_id])

    @property
    def seats(self) -> int:
        """The seats this booking holds: the person's and their guests'."""
        return 1 + self.guests

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"


class SignupChallenge(Model):
    """A sign-up from an ordinary browser, waiting for the code we texted to the phone.

    Proves the person holds the phone before a booking is tied to that number, so nobody can
    see or cancel someone else's bookings by typing their number.
    """

    __tablename__ = "signup_challenge"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_signup_challenge_phone_created", "phone", "created_at"),
        Index("ix_signup_challenge_ip_created", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(120))
    #: E.164.
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    wants_company: Mapped[bool] = mapped_column(default=False)
    guests: Mapped[int] = mapped_column(default=0, server_default="0")
    sms_consent: Mapped[bool] = mapped_column(default=False)
    health_consent: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the 6-digit code.
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship()

    def __repr__(self) -> str:
        return f"<SignupChallenge {self.id} {self.session_id}>"
