"""Anonymous head counts taken by hosts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.program import Session, _in
from havehus.orm import UTCDateTime

TALLY_KINDS = ("adults", "children", "first_timers")


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
