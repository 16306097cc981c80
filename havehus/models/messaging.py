"""The SMS outbox, received replies and numbers that opted out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.logs import current_request_id
from havehus.models.people import Participant
from havehus.models.program import _in
from havehus.orm import UTCDateTime


class MessageKind(StrEnum):
    CONFIRMATION = "confirmation"
    REMINDER = "reminder"
    CHANGE = "change"
    WAITLIST_PROMOTION = "waitlist-promotion"
    FOLLOW_UP = "follow-up"
    BROADCAST = "broadcast"
    SHIFT = "shift"
    LINK = "link"
    CODE = "code"


class MessageStatus(StrEnum):
    """pending → claimed → sent → delivered | undelivered | failed; unknown when a send may
    have happened but its outcome was lost (reconciled before any retry); skipped when no
    longer due."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


MESSAGE_KINDS = tuple(MessageKind)
MESSAGE_STATUSES = tuple(MessageStatus)


class OutboundMessage(Model):
    """One text to send; web requests only insert these rows, workers send them."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        CheckConstraint(_in("kind", MESSAGE_KINDS), name="kind"),
        CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_outbound_message_due", "status", "send_after"),
        # The daily cap per number counts a number's recent texts at send time.
        Index("ix_outbound_message_phone_status", "to_phone", "status"),
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
    #: The broadcast this text is part of, if any.
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcast.id", ondelete="SET NULL")
    )
    #: Twilio's error code from a failed send or a status callback (e.g. 21211, 30003).
    error_code: Mapped[int | None]
    #: When the provider last told us about this text (status callback or a lookup).
    status_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The web request that queued this text (its X-Request-ID), for the worker's log lines.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    participant: Mapped[Participant | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundMessage {self.id} {self.kind} {self.status}>"


BROADCAST_PURPOSES = ("practical", "marketing")


class Broadcast(Model):
    """A text a manager sent to everyone booked on a session or an activity, and who sent it.

    Practical notices (changes, weather) go to those who booked; news counts as marketing and
    goes only to people with that separate consent.
    """

    __tablename__ = "broadcast"
    __table_args__ = (
        CheckConstraint(_in("purpose", BROADCAST_PURPOSES), name="purpose"),
        CheckConstraint(
            "(session_id IS NULL) <> (activity_id IS NULL)", name="session_xor_activity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    #: The text per language, as the manager wrote it.
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    recipients: Mapped[int] = mapped_column(default=0)
    segments: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Broadcast {self.id} {self.purpose}>"


class ReminderRequest(Model):
    """ "Remind me" for a drop-in session: a text before it, without taking a seat."""

    __tablename__ = "reminder_request"
    __table_args__ = (UniqueConstraint("participant_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship()

    def __repr__(self) -> str:
        return f"<ReminderRequest {self.id} {self.session_id}>"


class InboundMessage(Model):
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
    #: The booking the reply acted on (cancelled, confirmed, took an offer), if any.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.interpreted_as}>"


class OptOut(Model):
    """A number that asked for no more texts (STOP), until it says START.

    Kept as a keyed hash of the number (`messaging.outgoing.number_key`), never the number:
    an opt-out outlives everything else about the person, so no later import or sign-up
    texts them, and the table still names no one.
    """

    __tablename__ = "opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: "sms" (a STOP reply), "provider" (error 21610) or "staff".
    source: Mapped[str] = mapped_column(String(10))

    def __repr__(self) -> str:
        return f"<OptOut {self.phone_hash[:8]}…>"
