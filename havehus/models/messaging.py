"""The SMS outbox, received replies and numbers that opted out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import db
from havehus.models.people import Participant
from havehus.models.program import _in
from havehus.orm import UTCDateTime

MESSAGE_KINDS = (
    "confirmation",
    "reminder",
    "change",
    "waitlist-promotion",
    "follow-up",
    "broadcast",
    "shift",
    "link",
    "code",
)
#: pending → claimed → sent → delivered | undelivered | failed; unknown when a send may have
#: happened but its outcome was lost (reconciled before any retry); skipped when no longer due.
MESSAGE_STATUSES = (
    "pending",
    "claimed",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
    "skipped",
)


class OutboundMessage(db.Model):
    """One text to send; web requests only insert these rows, workers send them."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        CheckConstraint(_in("kind", MESSAGE_KINDS), name="kind"),
        CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_outbound_message_due", "status", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str] = mapped_column(String(20))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL")
    )
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    language: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="SET NULL"))
    #: Guards against queueing the same text twice, e.g. "reminder:<booking>:<offset>".
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A text still unsent at this instant is dropped (e.g. the session has started).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    #: A claim older than this may be recovered by another worker.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    segments: Mapped[int | None]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    participant: Mapped[Participant | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundMessage {self.id} {self.kind} {self.status}>"


class InboundMessage(db.Model):
    """A reply received from a phone."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL")
    )
    #: What the reply was understood as: yes, no, stop, start, help or other.
    interpreted_as: Mapped[str | None] = mapped_column(String(10))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.interpreted_as}>"


class OptOut(db.Model):
    """A number that asked for no more texts (STOP), until it says START."""

    __tablename__ = "opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: "sms" (a STOP reply), "provider" (error 21610) or "staff".
    source: Mapped[str] = mapped_column(String(10))

    def __repr__(self) -> str:
        return f"<OptOut {self.phone}>"
