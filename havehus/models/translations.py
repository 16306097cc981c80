"""What native speakers said about the translations: reviewed, or a suggested correction that
a manager accepts (it then replaces the catalogue's text at once) or declines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from havehus.extensions import Model
from havehus.models.program import _in
from havehus.orm import UTCDateTime

#: What a translator says of a string: it reads well, or it needs a change (with a suggestion).
REVIEW_VERDICTS = ("reviewed", "needs-change")
DECISIONS = ("accepted", "declined")


class TranslationReview(Model):
    """One translator's word on one string of one language; the latest per string counts."""

    __tablename__ = "translation_review"
    __table_args__ = (
        CheckConstraint(_in("verdict", REVIEW_VERDICTS), name="verdict"),
        CheckConstraint(f"decision IS NULL OR {_in('decision', DECISIONS)}", name="decision"),
        CheckConstraint("verdict = 'reviewed' OR suggestion IS NOT NULL", name="suggested"),
        Index("ix_translation_review_language_msgid", "language", "msgid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(10))
    msgid: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    #: The corrected text (placeholders kept), for a "needs-change".
    suggestion: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<TranslationReview {self.language} {self.verdict} {self.decision}>"
