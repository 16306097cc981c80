"""Who came: named visits, anonymous head counts, and the taps that recorded them.

A *visit* is one person at one session: a named visit (a Visit row — the person's booking
marked as come, or a known person who just came) or an anonymous one (a Tally count). Reports
count exactly these two, nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.people import Participant
from havehus.models.program import Session, _in
from havehus.models.signup import Booking
from havehus.orm import UTCDateTime

TALLY_KINDS = ("adults", "children", "first_timers")
#: Where a named visit was recorded.
VISIT_SOURCES = ("host", "kiosk", "qr", "import")
#: What one tap does (each saved once, under its idempotency key): host mode's taps, and a
#: face given for the wellbeing pulse (by a host's phone, a kiosk or a resident's own phone).
TAP_ACTIONS = ("came", "not_came", "count", "uncount", "remove_visit", "pulse")
#: The wellbeing pulse's five faces, from 1 (very bad) to 5 (very good).
PULSE_FACES = (1, 2, 3, 4, 5)


class Tally(Model):
    """How many people of one kind came to a session without being named."""

    __tablename__ = "tally"
    __table_args__ = (
        CheckConstraint(_in("kind", TALLY_KINDS), name="kind"),
        CheckConstraint("count >= 0", name="count_non_negative"),
        UniqueConstraint("session_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    count: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship()

    def __repr__(self) -> str:
        return f"<Tally {self.session_id} {self.kind}={self.count}>"


class Visit(Model):
    """A named person at a session: their booking marked as come, or a known person who came
    without one (a walk-in). At most one per person and session, however often they check in."""

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(_in("source", VISIT_SOURCES), name="source"),
        UniqueConstraint("session_id", "participant_id"),
        Index("ix_visit_participant", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    #: The booking marked as come; None for a walk-in.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    #: The booking's status before it was marked (an undo puts it back).
    booking_status_before: Mapped[str | None] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(8))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    session: Mapped[Session] = relationship()
    participant: Mapped[Participant] = relationship()
    booking: Mapped[Booking | None] = relationship()

    def __repr__(self) -> str:
        return f"<Visit {self.session_id} {self.participant_id}>"


class AttendanceTap(Model):
    """One tap in host mode, kept under the key its page gave it: a retried request (a flaky
    connection, a double tap) finds its key taken and changes nothing."""

    __tablename__ = "attendance_tap"
    __table_args__ = (
        CheckConstraint(_in("action", TAP_ACTIONS), name="action"),
        Index("ix_attendance_tap_session", "session_id"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(12))
    #: The booking, tally kind or visit the tap was about.
    subject: Mapped[str | None] = mapped_column(String(40))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Pulse(Model):
    """How many people answered "How are you today?" with one face at a session.

    Never linked to a person: no name, no time (a time could be matched with a check-in's),
    and the tap that added one keeps no face either.
    """

    __tablename__ = "pulse"
    __table_args__ = (
        CheckConstraint("face BETWEEN 1 AND 5", name="face"),
        CheckConstraint("count >= 0", name="count_non_negative"),
        UniqueConstraint("session_id", "face"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    face: Mapped[int] = mapped_column()
    count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Pulse {self.session_id} {self.face}={self.count}>"


class SessionAttendance(Model):
    """A session's attendance as its host keeps it: a note, closed, unlocked after the lock."""

    __tablename__ = "session_attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    #: "Close the session": the bookings nobody marked became no-shows then.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: A manager opened a locked sheet again until then (every change meanwhile is audited).
    unlocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
