"""Follow-up and outreach: what staff did about someone on the follow-up list, and whom a
host or health communicator contacted (the first step of the funnel contacted → signed up →
came)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.people import CHANNELS, Participant, StaffUser
from havehus.models.program import Activity, _in
from havehus.orm import UTCDateTime

#: Why someone is on the follow-up list, most pressing first.
FOLLOW_UP_REASONS = ("missed_twice", "no_show", "first_visit", "not_seen")
#: What staff did about it; "done" takes it off the list until a new occurrence.
FOLLOW_UP_STATES = ("texted", "called", "done")
#: At most this many people in one anonymous record of contacts.
MAX_CONTACT_COUNT = 500


class FollowUp(Model):
    """What staff did about one occurrence of a reason to follow someone up, who and when."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(_in("reason", FOLLOW_UP_REASONS), name="reason"),
        CheckConstraint(_in("state", FOLLOW_UP_STATES), name="state"),
        UniqueConstraint("participant_id", "reason", "occurrence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(12))
    #: Which occurrence of the reason ("booking:12": the latest no-show, "visit:7": the first
    #: or last visit). A new one brings the person back on the list, whatever was done before.
    occurrence: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(8))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship()
    set_by: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<FollowUp {self.participant_id} {self.reason} {self.state}>"


class Contact(Model):
    """People a host or health communicator reached out to: one known person, or a count of
    people not named, with the channel and perhaps the activity it was about."""

    __tablename__ = "outreach_contact"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(f"count >= 1 AND count <= {MAX_CONTACT_COUNT}", name="count_range"),
        CheckConstraint("participant_id IS NULL OR count = 1", name="named_is_one"),
        Index("ix_outreach_contact_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The idempotency key of the form that recorded it: a retried post records nothing more.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The person contacted; None for a count (or once the person's data was deleted).
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL")
    )
    count: Mapped[int] = mapped_column(default=1)
    #: How they were reached (the recruitment channels of Participant.channel).
    channel: Mapped[str] = mapped_column(String(20))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    participant: Mapped[Participant | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    recorded_by: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.channel} ×{self.count}>"
