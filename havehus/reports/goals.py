"""Yearly targets and the progress towards them (/staff/reports/targets).

A target counts one of the indicator report's figures (sessions held, unique participants,
visits, new participants) over a scope of sessions in a calendar year, and compares it with a
number: "≥ 6 sessions held of theme events in 2026", "≥ 1 of them outside the area", "≥ 30
unique participants in the course". The count is the report's, never a second definition.
A year that is frozen shows the counts its snapshot kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import delete, select

from havehus.errors import HavehusError
from havehus.models import Location, OutsideLocation, Target, YearSnapshot
from havehus.models.people import MANAGERS
from havehus.models.reports import COMPARISONS, TARGET_MEASURES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.reports import changes
from havehus.reports.scopes import Problems, Reports, Scope, ScopeData


@dataclass(frozen=True)
class TargetData(ScopeData):
    """A target as the form typed it; `validate_target` reads and checks it."""

    year: str = ""
    measure: str = ""
    comparison: str = ">="
    amount: str = ""
    sub_goal: str = ""


@dataclass(frozen=True)
class CleanTarget:
    year: int
    measure: str
    comparison: str
    amount: int
    sub_goal: str
    scope: Scope


@dataclass(frozen=True)
class Progress:
    """A target beside what was counted for it."""

    target: Target
    actual: int
    #: The count comes from the year's snapshot (the year is frozen).
    frozen: bool

    @property
    def met(self) -> bool:
        if self.target.comparison == "<=":
            return self.actual <= self.target.amount
        return self.actual >= self.target.amount

    @property
    def percent(self) -> int:
        """How far a "≥" target has come, 0–100 (for the progress bar)."""
        if self.target.amount <= 0:
            return 100
        return min(100, round(100 * self.actual / self.target.amount))


def require_manager(actor: Actor) -> None:
    """Targets, the register and frozen years are for managers and admins."""
    if actor.role not in MANAGERS:
        raise HavehusError(_("Only managers may change the reports' targets."), "forbidden")


def validate_target(orm: OrmSession, data: TargetData) -> CleanTarget:
    problems = Problems()
    year = problems.year("year", data.year)
    measure = problems.choice("measure", data.measure, TARGET_MEASURES)
    if measure is None and "measure" not in problems.fields:
        problems.add("measure", _("Choose what is counted."))
    comparison = problems.choice("comparison", data.comparison, COMPARISONS) or ">="
    amount = problems.count("amount", data.amount)
    sub_goal = problems.line("sub_goal", data.sub_goal, 200)
    scope = data.read_scope(orm, problems)
    if problems.fields:
        raise HavehusError(
            _("The target was not saved: please check the marked fields."),
            "invalid",
            fields=problems.fields,
        )
    assert year is not None and measure is not None and amount is not None
    return CleanTarget(year, measure, comparison, amount, sub_goal, scope)


def _fill(target: Target, clean: CleanTarget) -> None:
    target.year = clean.year
    target.measure = clean.measure
    target.comparison = clean.comparison
    target.amount = clean.amount
    target.sub_goal = clean.sub_goal
    clean.scope.apply(target)


def _details(target: Target) -> dict[str, object]:
    return {
        "year": target.year,
        "measure": target.measure,
        "comparison": target.comparison,
        "amount": target.amount,
        "sub_goal": target.sub_goal,
        "activity_type": target.activity_type,
        "theme": target.theme,
        "activity_id": target.activity_id,
        "outside_area": target.outside_area,
    }


def create_target(orm: OrmSession, data: TargetData, now: datetime, actor: Actor) -> Target:
    require_manager(actor)
    clean = validate_target(orm, data)
    target = Target(created_at=now, updated_at=now)
    _fill(target, clean)
    return changes.create(orm, target, now, actor, "report.target_created", _details)


def update_target(
    orm: OrmSession, target: Target, data: TargetData, now: datetime, actor: Actor
) -> Target:
    require_manager(actor)
    clean = validate_target(orm, data)
    return changes.change(
        orm, target, lambda: _fill(target, clean), now, actor, "report.target_changed", _details
    )


def delete_target(orm: OrmSession, target: Target, now: datetime, actor: Actor) -> None:
    require_manager(actor)
    changes.delete(orm, target, now, actor, "report.target_deleted", _details)


def target_data(target: Target) -> TargetData:
    """A saved target as the form shows it."""
    return TargetData(
        year=str(target.year),
        measure=target.measure,
        comparison=target.comparison,
        amount=str(target.amount),
        sub_goal=target.sub_goal,
        **ScopeData.shown(target),
    )


def targets_of(orm: OrmSession, year: int) -> list[Target]:
    return list(
        orm.scalars(
            select(Target).where(Target.year == year).order_by(Target.sub_goal, Target.id)
        ).all()
    )


def target_years(orm: OrmSession) -> list[int]:
    return list(orm.scalars(select(Target.year).distinct().order_by(Target.year)).all())


def actual(reports: Reports, target: Target) -> int:
    """What the indicator report counts for the target in its year."""
    value = getattr(reports.total(Scope.of(target), target.year), target.measure)
    return int(value or 0)


def live_progress(reports: Reports, targets: list[Target]) -> dict[int, int]:
    return {target.id: actual(reports, target) for target in targets}


def progress(orm: OrmSession, year: int, tz: ZoneInfo, now: datetime) -> list[Progress]:
    """Each target of the year with its count: from the snapshot when the year is frozen
    (a target set after the freeze is counted live), else live."""
    targets = targets_of(orm, year)
    snapshot = orm.scalar(select(YearSnapshot).where(YearSnapshot.year == year))
    frozen: dict[str, int] = dict(snapshot.data.get("targets", {})) if snapshot else {}
    reports = Reports(orm, tz, now)
    result = []
    for target in targets:
        key = str(target.id)
        if key in frozen:
            result.append(Progress(target, int(frozen[key]), frozen=True))
        else:
            result.append(Progress(target, actual(reports, target), frozen=False))
    return result


# ---------------------------------------------------------------- places outside the area


def set_outside_locations(
    orm: OrmSession, location_ids: list[int], now: datetime, actor: Actor
) -> list[int]:
    """Which places lie outside the area (for "held outside the area")."""
    require_manager(actor)
    known = set(orm.scalars(select(Location.id)).all())
    wanted = sorted(set(location_ids) & known)
    orm.execute(delete(OutsideLocation))
    orm.add_all(OutsideLocation(location_id=location_id) for location_id in wanted)
    orm.flush()
    audit.record(orm, "report.outside_locations", now, actor, details={"locations": wanted})
    return wanted
