"""What /staff/reports shows for one period and its filters, and what its exports carry.

`read_query` checks the page's GET parameters (period, filters, breakdown) — every bad value
is a message for its field; `summarise` computes every figure of the page from one gathering
of the period's facts plus two queries; `charts` turns them into charts with their tables,
exact for the page, with small counts hidden for the PDF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.attendance.outreach import Funnel, funnel
from havehus.errors import HavehusError
from havehus.models import Activity, Department, Location
from havehus.models.program import CATEGORIES
from havehus.orm import OrmSession
from havehus.program.labels import CATEGORY_LABELS
from havehus.reports import export
from havehus.reports.charts import Chart, Series
from havehus.reports.indicators import BY_CHOICES, By, Filters, Row, gather, tabulate
from havehus.reports.measures import (
    FillRate,
    Profile,
    Refills,
    ReminderEffect,
    WellbeingPulse,
    fill_rate,
    profile,
    refills,
    reminder_effect,
    visits_per_session,
    weekly_visits_by_category,
    wellbeing_pulse,
)
from havehus.reports.period import Period, parse_period


@dataclass(frozen=True)
class Choices:
    """What the filters offer: (id, name) pairs."""

    locations: list[tuple[int, str]]
    activities: list[tuple[int, str]]
    departments: list[tuple[int, str]]


def load_choices(orm: OrmSession) -> Choices:
    """Three small queries: the places, activities and departments to filter by."""
    activities = [
        (aid, (title or {}).get("da") or slug)
        for aid, slug, title in orm.execute(
            select(Activity.id, Activity.slug, Activity.title).order_by(Activity.slug)
        ).all()
    ]
    return Choices(
        locations=[
            (lid, name)
            for lid, name in orm.execute(
                select(Location.id, Location.name).order_by(Location.name)
            ).all()
        ],
        activities=sorted(activities, key=lambda pair: pair[1].casefold()),
        departments=[
            (did, name)
            for did, name in orm.execute(
                select(Department.id, Department.name).order_by(Department.name)
            ).all()
        ],
    )


@dataclass(frozen=True)
class ReportQuery:
    period: Period
    by: By | None = None
    filters: Filters = Filters()


@dataclass
class QueryErrors(Exception):
    """Parameters that could not be read, as field → message."""

    fields: dict[str, str] = field(default_factory=dict)


def _choice(
    args: Mapping[str, str], name: str, known: Sequence[tuple[int, str]], message: str
) -> tuple[int | None, str | None]:
    text = args.get(name, "").strip()
    if not text:
        return None, None
    if text.isdigit() and len(text) <= 10 and int(text) in {key for key, _name in known}:
        return int(text), None
    return None, message


def read_query(args: Mapping[str, str], choices: Choices, today: date) -> ReportQuery:
    """The report the parameters ask for; QueryErrors with a message per bad field."""
    errors: dict[str, str] = {}
    period: Period | None = None
    try:
        period = parse_period(args, today)
    except HavehusError as exc:
        errors.update(exc.fields)
    location, error = _choice(
        args, "location", choices.locations, _("Choose a location from the list.")
    )
    if error:
        errors["location"] = error
    activity, error = _choice(
        args, "activity", choices.activities, _("Choose an activity from the list.")
    )
    if error:
        errors["activity"] = error
    department, error = _choice(
        args, "department", choices.departments, _("Choose a housing department from the list.")
    )
    if error:
        errors["department"] = error
    category = args.get("category", "").strip() or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = _("Choose a category from the list.")
    by = args.get("by", "").strip() or None
    if by is not None and by not in BY_CHOICES:
        errors["by"] = _("Choose a breakdown from the list.")
    if errors or period is None:
        raise QueryErrors(errors)
    return ReportQuery(
        period=period,
        by=cast(By | None, by),
        filters=Filters(
            location_id=location, activity_id=activity, category=category, department_id=department
        ),
    )


@dataclass(frozen=True)
class Summary:
    """Every figure of the page for one report query."""

    query: ReportQuery
    #: The breakdown's rows, then the total (just the total without a breakdown).
    rows: list[Row]
    total: Row
    visits_per_session: float | None
    fill: FillRate
    reminders: ReminderEffect
    refills: Refills
    profile: Profile
    #: One row per month of the period (unique people, new and returning per month).
    months: list[Row]
    #: ISO week → category → visits.
    weekly: dict[str, dict[str, int]]
    #: Contacted → signed up → came (attendance.outreach, its one definition).
    funnel: Funnel
    #: The wellbeing pulse (None when narrowed to a housing department: it is nobody's).
    pulse: WellbeingPulse | None


def summarise(orm: OrmSession, query: ReportQuery, tz: ZoneInfo, now: datetime) -> Summary:
    """The page's figures: one gathering of the period (indicators.gather) and two queries."""
    period = query.period
    facts = gather(orm, period.first, period.last, tz, now, query.filters)
    rows = tabulate(facts, query.by)
    total = rows[-1]
    return Summary(
        query=query,
        rows=rows,
        total=total,
        visits_per_session=visits_per_session(total),
        fill=fill_rate(facts),
        reminders=reminder_effect(orm, facts),
        refills=refills(orm, facts),
        profile=profile(facts),
        months=tabulate(facts, "month")[:-1],
        weekly=weekly_visits_by_category(facts),
        funnel=funnel(
            orm, period.first, period.last, tz, now, activity_id=query.filters.activity_id
        ),
        pulse=wellbeing_pulse(orm, facts),
    )


@dataclass(frozen=True)
class ChartWithTable:
    chart: Chart
    #: The header of the table's first column (what the labels are).
    label_header: str


def _values(values: Sequence[int], hide: bool) -> list[int | float | str | None]:
    return export.hide_small(values) if hide else list(values)


def charts(summary: Summary, *, hide_small: bool) -> list[ChartWithTable]:
    """The three charts: weekly visits per category, unique people per month, new and
    returning per month. `hide_small` writes counts of 1–4 as `<5` (everything exported)."""
    weeks = list(summary.weekly)
    categories = sorted(
        {category for counts in summary.weekly.values() for category in counts},
        key=lambda c: str(CATEGORY_LABELS.get(c, c)),
    )
    months = [row.group for row in summary.months]
    return [
        ChartWithTable(
            Chart(
                title=_("Visits per week, by category"),
                labels=weeks,
                series=[
                    Series(
                        str(CATEGORY_LABELS.get(category, category)),
                        _values([summary.weekly[w].get(category, 0) for w in weeks], hide_small),
                    )
                    for category in categories
                ],
                stacked=True,
            ),
            _("Week"),
        ),
        ChartWithTable(
            Chart(
                title=_("Unique participants per month"),
                labels=months,
                series=[
                    Series(
                        _("Unique participants"),
                        _values([row.unique_participants for row in summary.months], hide_small),
                    )
                ],
            ),
            _("Month"),
        ),
        ChartWithTable(
            Chart(
                title=_("New and returning participants per month"),
                labels=months,
                series=[
                    Series(
                        _("New participants"),
                        _values([row.new_participants for row in summary.months], hide_small),
                    ),
                    Series(
                        _("Returning participants"),
                        _values([row.returning_participants for row in summary.months], hide_small),
                    ),
                ],
            ),
            _("Month"),
        ),
    ]
