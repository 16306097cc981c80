"""What the reports keep beside the raw records: yearly targets, the funder's indicator
register with its typed-in yearly values, and frozen years (snapshots)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.program import ACTIVITY_TYPES, _in
from havehus.orm import UTCDateTime

#: What a target counts: the indicator report's figures of the same names.
TARGET_MEASURES = ("sessions_held", "unique_participants", "visits", "new_participants")
COMPARISONS = (">=", "<=")
#: The figures an indicator of the register can take from the app (docs/indicators.md).
REGISTER_FIGURES = (
    "sessions_held",
    "sessions_cancelled",
    "visits",
    "anonymous_visits",
    "unique_participants",
    "new_participants",
    "returning_participants",
    "no_show_rate",
    "participation_rate",
)
INDICATOR_KINDS = ("computed", "external")
DIRECTIONS = ("rise", "fall", "hold")


class ReportScopeMixin:
    """Which sessions a target or a computed indicator counts: every narrowing that is set
    applies (an activity type, a theme tag, one activity, places outside the area)."""

    activity_type: Mapped[str | None] = mapped_column(String(30))
    theme: Mapped[str | None] = mapped_column(String(60))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    outside_area: Mapped[bool] = mapped_column(default=False)


class OutsideLocation(Model):
    """A place that lies outside the area (a trip, a partner's house): "held outside the
    area" counts sessions held at one of these."""

    __tablename__ = "report_outside_location"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )


class Target(ReportScopeMixin, Model):
    """A yearly target, e.g. "≥ 6 sessions held of themed events in 2026"."""

    __tablename__ = "report_target"
    __table_args__ = (
        CheckConstraint(_in("measure", TARGET_MEASURES), name="measure"),
        CheckConstraint(_in("comparison", COMPARISONS), name="comparison"),
        CheckConstraint(
            "activity_type IS NULL OR " + _in("activity_type", ACTIVITY_TYPES),
            name="activity_type",
        ),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    measure: Mapped[str] = mapped_column(String(30))
    comparison: Mapped[str] = mapped_column(String(2), default=">=")
    amount: Mapped[int]
    #: The sub-goal (delmål) the target belongs to, e.g. "Delmål 2: fællesskaber"; may be empty.
    sub_goal: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Target {self.year} {self.measure} {self.comparison} {self.amount}>"


class RegisterIndicator(ReportScopeMixin, Model):
    """A line of the funder's baseline table: an indicator of a sub-goal, its baselines and
    the wanted direction. Computed ones take one of the app's figures for each year; external
    ones are typed in per year (RegisterValue)."""

    __tablename__ = "report_indicator"
    __table_args__ = (
        CheckConstraint(_in("kind", INDICATOR_KINDS), name="kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint("figure IS NULL OR " + _in("figure", REGISTER_FIGURES), name="figure"),
        CheckConstraint("kind = 'external' OR figure IS NOT NULL", name="figure_for_computed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_goal: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    figure: Mapped[str | None] = mapped_column(String(30))
    #: For a participation rate (and person figures): only this housing department.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE")
    )
    #: The baseline in the area: a number (exact decimal text) or a count "of" a whole.
    baseline_value: Mapped[str | None] = mapped_column(String(30))
    baseline_of: Mapped[int | None]
    baseline_year: Mapped[int | None]
    #: The municipality's baseline as the agreement writes it, e.g. "4,5–7,2 %".
    municipal_baseline: Mapped[str] = mapped_column(String(100), default="")
    data_source: Mapped[str] = mapped_column(String(300), default="")
    direction: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    values: Mapped[list[RegisterValue]] = relationship(
        back_populates="indicator",
        order_by="RegisterValue.year",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<RegisterIndicator {self.name}>"


class RegisterValue(Model):
    """An external indicator's figure for one year, typed in with its source."""

    __tablename__ = "report_indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("report_indicator.id", ondelete="CASCADE"))
    year: Mapped[int]
    value: Mapped[str] = mapped_column(String(30))
    of: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    indicator: Mapped[RegisterIndicator] = relationship(back_populates="values")

    def __repr__(self) -> str:
        return f"<RegisterValue {self.indicator_id} {self.year}>"


class YearSnapshot(Model):
    """A frozen year: its indicators as they were reported, kept as JSON so that later edits
    of the records do not change reported history."""

    __tablename__ = "report_year_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    frozen_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: Who froze it, as they were named then (the user may be gone later).
    frozen_by_name: Mapped[str] = mapped_column(String(254), default="")

    def __repr__(self) -> str:
        return f"<YearSnapshot {self.year}>"
