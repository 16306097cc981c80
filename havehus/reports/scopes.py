"""What targets and register indicators count, shared by goals.py, register.py and
snapshots.py: a scope (which sessions), the figures' names, numbers as typed and their checks.

A scope narrows the indicator report (indicators.py) and never defines a figure itself: a
target's "sessions held" is the report's `sessions_held` over the scope's sessions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypedDict
from zoneinfo import ZoneInfo

from flask_babel import format_decimal as babel_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from havehus.models import Activity, Department, Location, OutsideLocation
from havehus.models.program import ACTIVITY_TYPES
from havehus.models.reports import ReportScopeMixin
from havehus.orm import OrmSession
from havehus.reports.indicators import By, Filters, Row, report

#: Years a target, an indicator's baseline or a frozen year may name.
FIRST_YEAR = 2000
LAST_YEAR = 2100
#: The largest count a target or a typed figure may hold (PostgreSQL's integer is larger).
MAX_COUNT = 10_000_000

FIGURE_LABELS = {
    "sessions_held": _l("Sessions held"),
    "sessions_cancelled": _l("Sessions cancelled"),
    "visits": _l("Visits"),
    "anonymous_visits": _l("Anonymous visits"),
    "unique_participants": _l("Unique participants"),
    "new_participants": _l("New participants"),
    "returning_participants": _l("Returning participants"),
    "no_show_rate": _l("No-show rate"),
    "participation_rate": _l("Participation rate (of residents 18+)"),
}
#: Figures that belong to no housing department (sessions and head counts).
NO_DEPARTMENT = ("sessions_held", "sessions_cancelled", "anonymous_visits")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Scope:
    """Which sessions are counted; every narrowing that is set applies."""

    activity_type: str | None = None
    theme: str | None = None
    activity_id: int | None = None
    outside_area: bool = False

    @classmethod
    def of(cls, record: ReportScopeMixin) -> Scope:
        return cls(record.activity_type, record.theme, record.activity_id, record.outside_area)

    def apply(self, record: ReportScopeMixin) -> None:
        record.activity_type = self.activity_type
        record.theme = self.theme
        record.activity_id = self.activity_id
        record.outside_area = self.outside_area


@dataclass(frozen=True)
class Quantity:
    """A figure for a year: a number, or a count of a whole ("115 of 148")."""

    value: Decimal
    of: int | None = None

    @property
    def level(self) -> Decimal | None:
        """What is compared with the baseline: the share when there is a whole, else the
        number; None for a share of nothing."""
        if self.of is None:
            return self.value
        if self.of == 0:
            return None
        return self.value / self.of

    def as_json(self) -> dict[str, str | int | None]:
        return {"value": decimal_text(self.value), "of": self.of}

    @classmethod
    def from_json(cls, data: dict[str, str | int | None] | None) -> Quantity | None:
        if not data or data.get("value") is None:
            return None
        of = data.get("of")
        return cls(Decimal(str(data["value"])), int(of) if of is not None else None)


def decimal_text(value: Decimal) -> str:
    """The number as typed, without trailing zeros ("4.50" → "4.5", "30.000" → "30")."""
    text = format(value.normalize(), "f")
    return text


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def current_year(now: datetime, tz: ZoneInfo) -> int:
    return now.astimezone(tz).year


def outside_location_ids(orm: OrmSession) -> frozenset[int]:
    return frozenset(orm.scalars(select(OutsideLocation.location_id)).all())


def filters_for(orm: OrmSession, scope: Scope) -> Filters:
    """The report's filters that count the scope's sessions."""
    activity_ids = None
    if scope.activity_type or scope.theme or scope.activity_id:
        theme = (scope.theme or "").casefold()
        activity_ids = frozenset(
            activity_id
            for activity_id, activity_type, tags in orm.execute(
                select(Activity.id, Activity.activity_type, Activity.theme_tags)
            ).all()
            if (not scope.activity_type or activity_type == scope.activity_type)
            and (not theme or theme in {tag.casefold() for tag in tags or ()})
            and (not scope.activity_id or activity_id == scope.activity_id)
        )
    location_ids = outside_location_ids(orm) if scope.outside_area else None
    return Filters(activity_ids=activity_ids, location_ids=location_ids)


class Reports:
    """The year's indicator reports, each made once however many targets or indicators ask
    for it (the same scope, breakdown and year give the same rows)."""

    def __init__(self, orm: OrmSession, tz: ZoneInfo, now: datetime) -> None:
        self.orm, self.tz, self.now = orm, tz, now
        self._made: dict[tuple[Filters, By | None, int], list[Row]] = {}

    def rows(self, scope: Scope, year: int, by: By | None = None) -> list[Row]:
        filters = filters_for(self.orm, scope)
        key = (filters, by, year)
        if key not in self._made:
            first, last = year_bounds(year)
            self._made[key] = report(
                self.orm, first, last, self.tz, self.now, by=by, filters=filters
            )
        return self._made[key]

    def total(self, scope: Scope, year: int) -> Row:
        return self.rows(scope, year)[-1]


# ---------------------------------------------------------------- typed input


class Problems:
    """The messages of a form's fields, gathered while its values are read."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def line(self, name: str, text: str | None, limit: int, *, required: bool = False) -> str:
        """One line of text: no control characters (NUL, line breaks), at most `limit`."""
        value = (text or "").strip()
        if _CONTROL.search(value):
            self.add(
                name, _("Use one line of ordinary text (no line breaks or control characters).")
            )
        elif len(value) > limit:
            self.add(name, _("Use at most %(max)d characters.", max=limit))
        elif required and not value:
            self.add(name, _("Please fill this in."))
        return value

    def year(self, name: str, text: str | None, *, required: bool = True) -> int | None:
        value = (text or "").strip()
        if not value:
            if required:
                self.add(name, _("Please give a year."))
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 4:
            self.add(name, _("Give a year as four digits, e.g. 2026."))
            return None
        year = int(value)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            self.add(
                name,
                _("Give a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
            )
            return None
        return year

    def count(self, name: str, text: str | None, *, required: bool = True) -> int | None:
        value = (text or "").strip()
        if not value:
            if required:
                self.add(name, _("Please give a number."))
            return None
        if not value.isascii() or not value.isdigit():
            self.add(name, _("Give a whole number of 0 or more, e.g. 30."))
            return None
        if len(value) > 9 or int(value) > MAX_COUNT:
            self.add(name, _("Give a number of at most %(max)s.", max=babel_number(MAX_COUNT)))
            return None
        return int(value)

    def decimal(self, name: str, text: str | None, *, required: bool = True) -> Decimal | None:
        """A number as people type it: "115", "6,3" or "6.3" (up to three decimals)."""
        value = (text or "").strip().replace(",", ".")
        if not value:
            if required:
                self.add(name, _("Please give a number."))
            return None
        if len(value) > 20 or not re.fullmatch(r"-?[0-9]+(\.[0-9]{1,3})?", value):
            self.add(name, _("Give a number, e.g. 115 or 6,3 (at most three decimals)."))
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
            self.add(name, _("Give a number, e.g. 115 or 6,3 (at most three decimals)."))
            return None
        if abs(number) > MAX_COUNT:
            self.add(name, _("Give a number of at most %(max)s.", max=babel_number(MAX_COUNT)))
            return None
        return number

    def choice(self, name: str, text: str | None, choices: tuple[str, ...]) -> str | None:
        value = (text or "").strip()
        if not value:
            return None
        if value not in choices:
            self.add(name, _("Choose one of the options."))
            return None
        return value

    def record_id(self, name: str, text: str | None, exists: Callable[[int], bool]) -> int | None:
        value = (text or "").strip()
        if not value or value == "0":
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 9 or not exists(int(value)):
            self.add(name, _("Choose one of the options."))
            return None
        return int(value)


class ScopeFields(TypedDict):
    activity_type: str
    theme: str
    activity_id: str
    outside_area: bool


@dataclass(frozen=True)
class ScopeData:
    """A scope as a form types it: the part a target and a register line share."""

    activity_type: str = ""
    theme: str = ""
    activity_id: str = ""
    outside_area: bool = False

    def read_scope(self, orm: OrmSession, problems: Problems) -> Scope:
        """The scope, checked; what is wrong goes to `problems`."""
        return Scope(
            activity_type=problems.choice("activity_type", self.activity_type, ACTIVITY_TYPES),
            theme=problems.line("theme", self.theme, 40) or None,
            activity_id=problems.record_id(
                "activity_id", self.activity_id, lambda key: orm.get(Activity, key) is not None
            ),
            outside_area=bool(self.outside_area),
        )

    @staticmethod
    def shown(record: ReportScopeMixin) -> ScopeFields:
        """A saved record's scope as the form shows it (the fields of a ScopeData)."""
        return ScopeFields(
            activity_type=record.activity_type or "",
            theme=record.theme or "",
            activity_id=str(record.activity_id or ""),
            outside_area=record.outside_area,
        )


def department_exists(orm: OrmSession) -> Callable[[int], bool]:
    return lambda key: orm.get(Department, key) is not None


def theme_tags(orm: OrmSession) -> list[str]:
    """Every theme tag an activity carries, for the forms' choices."""
    tags: dict[str, str] = {}
    for activity_tags in orm.scalars(select(Activity.theme_tags)).all():
        for tag in activity_tags or ():
            tags.setdefault(tag.casefold(), tag)
    return sorted(tags.values(), key=str.casefold)


def locations(orm: OrmSession) -> list[Location]:
    return list(orm.scalars(select(Location).order_by(Location.name)).all())
