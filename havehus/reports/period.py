"""The period a report covers, read from the report page's GET parameters.

A week (`2026-W10`), a month (`2026-03`), a quarter (`2026-Q1`), a year (`2026`) or custom
days from–to; an empty value means the current one. Every value is checked: anything else is
a clear message for its field (HavehusError with `fields`), never an exception further down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from havehus.errors import HavehusError

PERIODS = ("week", "month", "quarter", "year", "custom")
#: Years a report can speak of (keeps hostile values away from date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: The longest custom period, in days (five years).
LONGEST = 5 * 366

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Period:
    kind: str
    first: date
    last: date
    #: The period as its parameter writes it: 2026-W10, 2026-03, 2026-Q1, 2026 or from–to.
    name: str


def _year(text: str) -> int | None:
    year = int(text)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def week(text: str) -> Period | None:
    found = _WEEK.fullmatch(text)
    if not found or _year(found[1]) is None:
        return None
    try:
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        return None
    return Period("week", monday, monday + timedelta(days=6), text)


def month(text: str) -> Period | None:
    found = _MONTH.fullmatch(text)
    if not found or _year(found[1]) is None or not 1 <= int(found[2]) <= 12:
        return None
    year, number = int(found[1]), int(found[2])
    first = date(year, number, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period("month", first, following - timedelta(days=1), text)


def quarter(text: str) -> Period | None:
    found = _QUARTER.fullmatch(text)
    if not found or _year(found[1]) is None:
        return None
    year, number = int(found[1]), int(found[2])
    first = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return Period("quarter", first, following - timedelta(days=1), text)


def year(text: str) -> Period | None:
    if not _YEAR.fullmatch(text) or _year(text) is None:
        return None
    number = int(text)
    return Period("year", date(number, 1, 1), date(number, 12, 31), text)


def day(text: str) -> date | None:
    if not _DAY.fullmatch(text):
        return None
    try:
        found = date.fromisoformat(text)
    except ValueError:
        return None
    return found if FIRST_YEAR <= found.year <= LAST_YEAR else None


def current(kind: str, today: date) -> str:
    """The parameter naming the week, month, quarter or year `today` is in."""
    if kind == "week":
        iso = today.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if kind == "month":
        return f"{today:%Y-%m}"
    if kind == "quarter":
        return f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}"
    return f"{today.year:04d}"


def parse_period(args: Mapping[str, str], today: date) -> Period:
    """The period the parameters ask for (this quarter when they ask for none)."""
    kind = args.get("period", "").strip() or "quarter"
    if kind not in PERIODS:
        raise HavehusError(
            _("Choose a week, month, quarter, year or your own days."),
            "invalid",
            fields={"period": _("Choose a week, month, quarter, year or your own days.")},
        )
    if kind == "custom":
        return _custom(args)
    text = args.get(kind, "").strip() or current(kind, today)
    parser, example = {
        "week": (week, _("Write the week as year-W and its number, e.g. 2026-W10.")),
        "month": (month, _("Write the month as year-month, e.g. 2026-03.")),
        "quarter": (quarter, _("Write the quarter as year-Q and 1 to 4, e.g. 2026-Q1.")),
        "year": (year, _("Write the year with four digits, from 2000 to 2100.")),
    }[kind]
    found = parser(text)
    if found is None:
        raise HavehusError(str(example), "invalid", fields={kind: str(example)})
    return found


def _custom(args: Mapping[str, str]) -> Period:
    errors: dict[str, str] = {}
    first = day(args.get("from", "").strip())
    last = day(args.get("to", "").strip())
    for field, value in (("from", first), ("to", last)):
        if value is None:
            errors[field] = _("Write a date from 2000 to 2100 as year-month-day, e.g. 2026-03-31.")
    if first is not None and last is not None:
        if last < first:
            errors["to"] = _("The last day is before the first day.")
        elif (last - first).days >= LONGEST:
            errors["to"] = _("Your own days can span five years at most.")
    if errors or first is None or last is None:
        raise HavehusError(next(iter(errors.values())), "invalid", fields=errors)
    return Period("custom", first, last, f"{first.isoformat()}–{last.isoformat()}")
