"""The indicator register: the funder's baseline table and its yearly follow-up
(/staff/reports/register).

Each line is an indicator of a sub-goal (delmål) with the baseline in the area, the
municipality's baseline, the baseline year, the data source and the wanted direction (rise,
fall, hold). A *computed* indicator takes one of the indicator report's figures over a scope
(and, for people, one housing department) and fills itself in for every year; an *external*
one (a survey, police reports, a register) is typed in per year with its source. The
follow-up sets each year beside the baseline and says whether it moved the wanted way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.models import Department, RegisterIndicator, RegisterValue, YearSnapshot
from havehus.models.reports import DIRECTIONS, INDICATOR_KINDS, REGISTER_FIGURES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.reports import changes
from havehus.reports.goals import require_manager
from havehus.reports.scopes import (
    NO_DEPARTMENT,
    Problems,
    Quantity,
    Reports,
    Scope,
    ScopeData,
    decimal_text,
    department_exists,
)

RATES = ("no_show_rate", "participation_rate")
#: "Hold steady": the year is within this share of the baseline (either way).
HOLD_TOLERANCE = Decimal("0.05")


@dataclass(frozen=True)
class IndicatorData(ScopeData):
    """An indicator as the form typed it."""

    sub_goal: str = ""
    name: str = ""
    kind: str = "computed"
    figure: str = ""
    department_id: str = ""
    baseline_value: str = ""
    baseline_of: str = ""
    baseline_year: str = ""
    municipal_baseline: str = ""
    data_source: str = ""
    direction: str = ""


@dataclass(frozen=True)
class ValueData:
    """An external indicator's figure for a year, as typed."""

    year: str = ""
    value: str = ""
    of: str = ""
    source: str = ""


def _invalid(problems: Problems, message: str) -> HavehusError:
    return HavehusError(message, "invalid", fields=problems.fields)


def _fill(orm: OrmSession, indicator: RegisterIndicator, data: IndicatorData) -> None:
    """Check every field of the form and, when all are right, write them onto the line."""
    problems = Problems()
    name = problems.line("name", data.name, 200, required=True)
    sub_goal = problems.line("sub_goal", data.sub_goal, 200)
    kind = problems.choice("kind", data.kind, INDICATOR_KINDS)
    if kind is None:
        problems.add("kind", _("Choose where the figure comes from."))
    figure = problems.choice("figure", data.figure, REGISTER_FIGURES)
    scope = Scope()
    department_id = None
    if kind == "computed":
        if figure is None:
            problems.add("figure", _("Choose which of the app's figures this is."))
        scope = data.read_scope(orm, problems)
        department_id = problems.record_id(
            "department_id", data.department_id, department_exists(orm)
        )
        if figure == "participation_rate" and department_id is None:
            problems.add(
                "department_id", _("A participation rate is counted for one housing department.")
            )
        elif figure in NO_DEPARTMENT and department_id is not None:
            problems.add(
                "department_id",
                _("Sessions and head counts belong to no housing department: choose none."),
            )
    else:
        figure = None
    value = problems.decimal("baseline_value", data.baseline_value, required=False)
    of = problems.count("baseline_of", data.baseline_of, required=False)
    if of is not None and value is None and "baseline_value" not in problems.fields:
        problems.add("baseline_value", _("Give the count too, e.g. 115 of 148."))
    if value is not None and kind == "computed" and figure is not None:
        if figure in RATES and of is None:
            problems.add(
                "baseline_of",
                _("This figure is a share: give the baseline as a count of a whole (41 of 650)."),
            )
        elif figure not in RATES and of is not None:
            problems.add("baseline_of", _("This figure is a count: leave this empty."))
    baseline_year = problems.year("baseline_year", data.baseline_year, required=False)
    municipal = problems.line("municipal_baseline", data.municipal_baseline, 100)
    source = problems.line("data_source", data.data_source, 300)
    direction = problems.choice("direction", data.direction, DIRECTIONS)
    if direction is None:
        problems.add("direction", _("Choose the wanted direction."))
    if problems.fields:
        raise _invalid(problems, _("The indicator was not saved: please check the marked fields."))
    assert kind is not None and direction is not None
    indicator.name, indicator.sub_goal, indicator.kind = name, sub_goal, kind
    indicator.figure, indicator.department_id = figure, department_id
    scope.apply(indicator)
    indicator.baseline_value = decimal_text(value) if value is not None else None
    indicator.baseline_of = of
    indicator.baseline_year = baseline_year
    indicator.municipal_baseline, indicator.data_source = municipal, source
    indicator.direction = direction


def _details(indicator: RegisterIndicator) -> dict[str, object]:
    return {
        "name": indicator.name,
        "sub_goal": indicator.sub_goal,
        "kind": indicator.kind,
        "figure": indicator.figure,
        "baseline": [indicator.baseline_value, indicator.baseline_of, indicator.baseline_year],
        "direction": indicator.direction,
    }


def create_indicator(
    orm: OrmSession, data: IndicatorData, now: datetime, actor: Actor
) -> RegisterIndicator:
    require_manager(actor)
    indicator = RegisterIndicator(created_at=now, updated_at=now)
    _fill(orm, indicator, data)
    return changes.create(orm, indicator, now, actor, "report.indicator_created", _details)


def update_indicator(
    orm: OrmSession, indicator: RegisterIndicator, data: IndicatorData, now: datetime, actor: Actor
) -> RegisterIndicator:
    require_manager(actor)
    return changes.change(
        orm,
        indicator,
        lambda: _fill(orm, indicator, data),  # writes nothing unless every field is right
        now,
        actor,
        "report.indicator_changed",
        _details,
    )


def delete_indicator(
    orm: OrmSession, indicator: RegisterIndicator, now: datetime, actor: Actor
) -> None:
    require_manager(actor)
    changes.delete(orm, indicator, now, actor, "report.indicator_deleted", _details)


def indicator_data(indicator: RegisterIndicator) -> IndicatorData:
    """A saved line as the form shows it."""
    return IndicatorData(
        sub_goal=indicator.sub_goal,
        name=indicator.name,
        kind=indicator.kind,
        figure=indicator.figure or "",
        department_id=str(indicator.department_id or ""),
        baseline_value=(indicator.baseline_value or "").replace(".", ","),
        baseline_of=str(indicator.baseline_of) if indicator.baseline_of is not None else "",
        baseline_year=str(indicator.baseline_year or ""),
        municipal_baseline=indicator.municipal_baseline,
        data_source=indicator.data_source,
        direction=indicator.direction,
        **ScopeData.shown(indicator),
    )


def indicators(orm: OrmSession) -> list[RegisterIndicator]:
    return list(
        orm.scalars(
            select(RegisterIndicator).order_by(RegisterIndicator.sub_goal, RegisterIndicator.id)
        ).all()
    )


def is_frozen(orm: OrmSession, year: int) -> bool:
    return orm.scalar(select(YearSnapshot.id).where(YearSnapshot.year == year)) is not None


def set_value(
    orm: OrmSession, indicator: RegisterIndicator, data: ValueData, now: datetime, actor: Actor
) -> RegisterValue:
    """Type in (or correct) an external indicator's figure for a year."""
    require_manager(actor)
    if indicator.kind != "external":
        raise HavehusError(_("The app fills this indicator in itself."), "computed")
    problems = Problems()
    year = problems.year("year", data.year)
    value = problems.decimal("value", data.value)
    of = problems.count("of", data.of, required=False)
    source = problems.line("source", data.source, 300)
    if year is not None and is_frozen(orm, year):
        problems.add(
            "year", _("%(year)d is frozen: unfreeze it first to change its figures.", year=year)
        )
    if problems.fields:
        raise _invalid(problems, _("The figure was not saved: please check the marked fields."))
    assert year is not None and value is not None
    row = orm.scalar(
        select(RegisterValue).where(
            RegisterValue.indicator_id == indicator.id, RegisterValue.year == year
        )
    )
    if row is None:
        row = RegisterValue(indicator=indicator, year=year)
        orm.add(row)
    row.value, row.of, row.source, row.updated_at = decimal_text(value), of, source, now
    orm.flush()
    audit.record(
        orm,
        "report.indicator_value_set",
        now,
        actor,
        target=indicator,
        details={"year": year, "value": row.value, "of": of, "source": source},
    )
    return row


def remove_value(
    orm: OrmSession, indicator: RegisterIndicator, year: int, now: datetime, actor: Actor
) -> None:
    require_manager(actor)
    if is_frozen(orm, year):
        raise HavehusError(
            _("%(year)d is frozen: unfreeze it first to change its figures.", year=year), "frozen"
        )
    row = orm.scalar(
        select(RegisterValue).where(
            RegisterValue.indicator_id == indicator.id, RegisterValue.year == year
        )
    )
    if row is None:
        raise HavehusError(_("There is no figure for %(year)d.", year=year), "not_found")
    audit.record(
        orm,
        "report.indicator_value_removed",
        now,
        actor,
        target=indicator,
        details={"year": year, "value": row.value, "of": row.of},
    )
    orm.delete(row)
    orm.flush()


# ---------------------------------------------------------------- figures per year


def computed_value(
    orm: OrmSession, reports: Reports, indicator: RegisterIndicator, year: int
) -> Quantity | None:
    """The indicator report's figure for the indicator's scope in the year."""
    assert indicator.figure is not None
    scope = Scope.of(indicator)
    if indicator.department_id is not None:
        department = orm.get(Department, indicator.department_id)
        rows = reports.rows(scope, year, by="department")
        row = next((r for r in rows if department and r.group == department.name), None)
        if row is None:  # pragma: no cover - every department has its row
            return None
    else:
        row = reports.total(scope, year)
    if indicator.figure == "no_show_rate":
        return Quantity(Decimal(row.no_shows), row.bookings_decided)
    if indicator.figure == "participation_rate":
        if not row.adults:
            return None  # nobody recorded the department's residents for the year
        return Quantity(Decimal(row.unique_participants), row.adults)
    value = getattr(row, indicator.figure)
    return None if value is None else Quantity(Decimal(value))


def live_value(
    orm: OrmSession, reports: Reports, indicator: RegisterIndicator, year: int
) -> Quantity | None:
    """The figure for a year as the records say now: computed, or as typed in."""
    if indicator.kind == "computed":
        return computed_value(orm, reports, indicator, year)
    for row in indicator.values:
        if row.year == year:
            return Quantity(Decimal(row.value), row.of)
    return None


def live_values(
    orm: OrmSession, reports: Reports, year: int
) -> dict[str, dict[str, str | int | None] | None]:
    """Every indicator's figure for the year, as a snapshot keeps them."""
    result: dict[str, dict[str, str | int | None] | None] = {}
    for indicator in indicators(orm):
        value = live_value(orm, reports, indicator, year)
        result[str(indicator.id)] = value.as_json() if value is not None else None
    return result


def moved_as_wanted(
    direction: str, baseline: Quantity | None, value: Quantity | None
) -> bool | None:
    """Did the figure move the wanted way from the baseline? None: nothing to compare (no
    baseline, no figure, a share of nothing, or a number beside a share)."""
    if baseline is None or value is None or (baseline.of is None) != (value.of is None):
        return None
    before, after = baseline.level, value.level
    if before is None or after is None:
        return None
    if direction == "rise":
        return after > before
    if direction == "fall":
        return after < before
    return abs(after - before) <= HOLD_TOLERANCE * abs(before)


@dataclass(frozen=True)
class Cell:
    year: int
    value: Quantity | None
    #: The figure comes from the year's snapshot.
    frozen: bool
    moved: bool | None


@dataclass(frozen=True)
class FollowUpRow:
    indicator: RegisterIndicator
    baseline: Quantity | None
    #: The baseline was not typed in: it is the computed figure of the baseline year.
    baseline_computed: bool
    cells: list[Cell]


def _frozen_register(orm: OrmSession, years: list[int]) -> dict[int, dict[str, object]]:
    return {
        snapshot.year: dict(snapshot.data.get("register", {}))
        for snapshot in orm.scalars(select(YearSnapshot).where(YearSnapshot.year.in_(years)))
    }


def follow_up(orm: OrmSession, years: list[int], tz: ZoneInfo, now: datetime) -> list[FollowUpRow]:
    """Each indicator with its baseline and its figure for each year: a frozen year's from
    its snapshot (an indicator added after the freeze is counted live), other years live."""
    reports = Reports(orm, tz, now)
    lines = indicators(orm)
    baseline_years = [line.baseline_year for line in lines if line.baseline_year is not None]
    frozen = _frozen_register(orm, sorted({*years, *baseline_years}))

    def figure(indicator: RegisterIndicator, year: int) -> tuple[Quantity | None, bool]:
        kept = frozen.get(year, {})
        key = str(indicator.id)
        if key in kept:
            stored = kept[key]
            return Quantity.from_json(stored if isinstance(stored, dict) else None), True
        return live_value(orm, reports, indicator, year), False

    rows = []
    for indicator in lines:
        baseline: Quantity | None = None
        computed = False
        if indicator.baseline_value is not None:
            baseline = Quantity(Decimal(indicator.baseline_value), indicator.baseline_of)
        elif indicator.kind == "computed" and indicator.baseline_year is not None:
            baseline, _frozen = figure(indicator, indicator.baseline_year)
            computed = baseline is not None
        cells = []
        for year in years:
            value, is_frozen_year = figure(indicator, year)
            cells.append(
                Cell(
                    year,
                    value,
                    is_frozen_year,
                    moved_as_wanted(indicator.direction, baseline, value),
                )
            )
        rows.append(FollowUpRow(indicator, baseline, computed, cells))
    return rows
