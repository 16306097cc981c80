"""Time helpers: the house's zone, ISO weeks, and conversions between UTC and local time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from havehus.config import current_settings

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: The days the house's calendar knows. A day outside them is refused wherever it comes in (a
#: week in an address, a date in a form, the API or a query), so that the date arithmetic after
#: it (the week before, a year of sessions, a feed's window) never leaves Python's dates.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)

#: A source of the current instant (aware, UTC). The app has one; tests hand it a fixed one.
Clock = Callable[[], datetime]
_CLOCK_KEY = "havehus.clock"


def house_tz() -> ZoneInfo:
    """The house's time zone (Europe/Copenhagen unless configured otherwise)."""
    return current_settings().tz


def system_clock() -> datetime:
    """The machine's clock, aware, in UTC."""
    return datetime.now(UTC)


def install_clock(app: Flask, clock: Clock) -> None:
    """Make `clock` the app's source of "now" for every view, command and job."""
    app.extensions[_CLOCK_KEY] = clock


def clock_of(app: Flask) -> Clock:
    """The app's source of "now" (for what checks the time outside a request)."""
    clock: Clock = app.extensions.get(_CLOCK_KEY, system_clock)
    return clock


def utcnow() -> datetime:
    """The current instant by the app's clock. Only the edges (views, CLI, worker) call this.

    Services never do: they take `now` as an argument, so the edge decides what time it is.
    """
    if has_app_context():
        clock: Clock = current_app.extensions.get(_CLOCK_KEY, system_clock)
        return clock()
    return system_clock()


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in tz.

    A time skipped by the spring DST change is moved forward by the gap (02:30 → 03:30);
    a time that occurs twice in autumn takes its first occurrence (fold=0).
    """
    # PEP 495: with fold=0 a gap time is read with the offset before the change, which
    # lands after the gap; an ambiguous time is read as its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def day_bounds_utc(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants from local midnight of `first` to local midnight after `last`."""
    return (
        local_to_utc(first, time(0), tz),
        local_to_utc(last + timedelta(days=1), time(0), tz),
    )


def in_calendar(day: date) -> bool:
    """Whether the day lies within the house's calendar (FIRST_DAY to LAST_DAY)."""
    return FIRST_DAY <= day <= LAST_DAY


def parse_day(value: str) -> date:
    """A day written YYYY-MM-DD; ValueError if there is no such day in the house's calendar."""
    if not _ISO_DAY.match(value):
        raise ValueError(f"not a day: {value!r}")
    day = date.fromisoformat(value)
    if not in_calendar(day):
        raise ValueError(f"outside the calendar: {value!r}")
    return day


def parse_iso_week(value: str) -> date:
    """The Monday of an ISO week written YYYY-Www; ValueError if the calendar has no such week."""
    match = _ISO_WEEK.match(value)
    if not match:
        raise ValueError(f"not an ISO week: {value!r}")
    year, week = int(match.group(1)), int(match.group(2))
    monday = date.fromisocalendar(year, week, 1)
    if not (in_calendar(monday) and in_calendar(monday + timedelta(days=6))):
        raise ValueError(f"outside the calendar: {value!r}")
    return monday


def iso_week_label(day: date) -> str:
    """YYYY-Www of the ISO week containing day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
