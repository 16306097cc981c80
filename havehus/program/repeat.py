"""Repeat patterns in plain words ("every other Thursday") and the RRULEs behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from havehus.program.recurrence import parse_rule
from havehus.program.rule_limits import MAX_HORIZON_DAYS, check_session_count
from havehus.timeutil import local_to_utc

#: RFC 5545 weekday codes, Monday first (the index is Python's weekday()).
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEAT_KINDS = ("none", "weekly", "biweekly", "monthly", "custom")
#: Which week of the month a monthly pattern uses; -1 is the last.
MONTH_WEEKS = (1, 2, 3, 4, -1)


@dataclass(frozen=True)
class Repeat:
    """A repeat pattern a person can choose in a form."""

    kind: str = "none"
    weekdays: tuple[int, ...] = ()
    month_week: int = 1
    until: date | None = None
    count: int | None = None
    #: The raw rule, for patterns the form cannot show (kind "custom").
    rule: str = ""


def build_rrule(repeat: Repeat, starts_on: date) -> str | None:
    """The RRULE of a pattern (None for a single date); weekdays default to the first day's."""
    if repeat.kind == "none":
        return None
    if repeat.kind == "custom":
        return repeat.rule.strip() or None
    days = sorted(set(repeat.weekdays)) or [starts_on.weekday()]
    if repeat.kind == "monthly":
        parts = [
            "FREQ=MONTHLY",
            "BYDAY=" + ",".join(f"{repeat.month_week}{DAY_CODES[d]}" for d in days),
        ]
    else:
        parts = ["FREQ=WEEKLY"]
        if repeat.kind == "biweekly":
            parts.append("INTERVAL=2")
        parts.append("BYDAY=" + ",".join(DAY_CODES[d] for d in days))
    if repeat.until:
        parts.append(f"UNTIL={repeat.until:%Y%m%d}T235959")
    elif repeat.count:
        parts.append(f"COUNT={repeat.count}")
    return ";".join(parts)


def rule_parts(text: str) -> dict[str, str]:
    """The NAME=VALUE parts of an RRULE, names upper-case."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, _sep, value = item.partition("=")
        if name.strip():
            parts[name.strip().upper()] = value.strip().upper()
    return parts


def join_rule(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _until_date(value: str) -> date | None:
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


def repeat_from_rrule(text: str | None) -> Repeat:
    """The form's pattern for a stored rule; kind "custom" when the form cannot show it."""
    if not text:
        return Repeat("none")
    parts = rule_parts(text)
    known = {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT", "WKST"}
    custom = Repeat("custom", rule=text)
    if set(parts) - known or "BYDAY" not in parts:
        return custom
    until = _until_date(parts["UNTIL"]) if "UNTIL" in parts else None
    count = int(parts["COUNT"]) if parts.get("COUNT", "").isdigit() else None
    interval = parts.get("INTERVAL", "1")
    tokens = parts["BYDAY"].split(",")
    if parts.get("FREQ") == "WEEKLY" and interval in ("1", "2"):
        if not all(token in DAY_CODES for token in tokens):
            return custom
        kind = "weekly" if interval == "1" else "biweekly"
        days = tuple(DAY_CODES.index(token) for token in tokens)
        return Repeat(kind, days, until=until, count=count)
    if parts.get("FREQ") == "MONTHLY" and interval == "1":
        weeks = {token[:-2] for token in tokens}
        codes = [token[-2:] for token in tokens]
        if len(weeks) != 1 or not all(code in DAY_CODES for code in codes):
            return custom
        (week,) = weeks
        if week not in ("1", "2", "3", "4", "-1"):
            return custom
        days = tuple(DAY_CODES.index(code) for code in codes)
        return Repeat("monthly", days, month_week=int(week), until=until, count=count)
    return custom


def _day_names(days: list[int]) -> str:
    locale = get_locale()
    names = get_day_names("wide", locale=locale)
    words = [names[d] for d in sorted(days)]
    if len(words) == 1:
        return words[0]
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


def _ordinal(week: int) -> str:
    return {
        1: _("first"),
        2: _("second"),
        3: _("third"),
        4: _("fourth"),
        -1: _("last"),
    }[week]


#: Parts of a rule that set the times of day (time slots) rather than the days.
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
#: Parts a rule of whole days ("every day") may have besides FREQ.
_PLAIN_PARTS = {"FREQ", "INTERVAL", "UNTIL", "COUNT", "WKST"}


def _day_times(parts: dict[str, str], start_time: time) -> list[time] | None:
    """The start times a rule gives each of its days; None when they cannot be read."""
    # As dateutil does: BYHOUR × BYMINUTE, each defaulting to the first session's start.
    if parts.get("BYSECOND", "0") != "0":
        return None
    try:
        hours = [int(h) for h in parts["BYHOUR"].split(",")] if "BYHOUR" in parts else None
        minutes = [int(m) for m in parts["BYMINUTE"].split(",")] if "BYMINUTE" in parts else None
    except ValueError:
        return None
    hours = hours or [start_time.hour]
    minutes = minutes or [start_time.minute]
    if not all(0 <= h < 24 for h in hours) or not all(0 <= m < 60 for m in minutes):
        return None
    return sorted({time(h, m) for h in hours for m in minutes})


def _hours(times: list[time], duration_minutes: int) -> str:
    """The hours of each day: "14:00–16:00", or "8 slots of 15 minutes, 14:00–16:00"."""
    end = (datetime.combine(date.min, times[-1]) + timedelta(minutes=duration_minutes)).time()
    span = f"{times[0]:%H:%M}–{end:%H:%M}"
    if len(times) == 1:
        return span
    return ngettext(
        "%(num)d slot of %(minutes)d minutes, %(hours)s",
        "%(num)d slots of %(minutes)d minutes, %(hours)s",
        len(times),
        minutes=duration_minutes,
        hours=span,
    )


def describe(rrule: str | None, starts_on: date, start_time: time, duration_minutes: int) -> str:
    """The pattern in plain words, e.g. "Every Tuesday, 10:00–12:00, until 30 June 2026"."""
    locale = get_locale()
    if not rrule:
        day = format_date(starts_on, "full", locale=locale)
        hours = _hours([start_time], duration_minutes)
        return _("Once, %(day)s, %(hours)s", day=day, hours=hours)
    parts = rule_parts(rrule)
    times = _day_times(parts, start_time)
    # The days of the rule, read as the form reads them once its time slots are set aside.
    day_parts = {name: value for name, value in parts.items() if name not in _TIME_PARTS}
    if day_parts.get("FREQ") == "WEEKLY" and "BYDAY" not in day_parts:
        day_parts["BYDAY"] = DAY_CODES[starts_on.weekday()]
    repeat = repeat_from_rrule(join_rule(day_parts)) if times else Repeat("custom")
    hours = _hours(times or [start_time], duration_minutes)
    days = list(repeat.weekdays) or [starts_on.weekday()]
    if repeat.kind == "weekly":
        text = _("Every %(days)s, %(hours)s", days=_day_names(days), hours=hours)
    elif repeat.kind == "biweekly":
        text = _("Every other %(days)s, %(hours)s", days=_day_names(days), hours=hours)
    elif repeat.kind == "monthly":
        text = _(
            "The %(nth)s %(days)s of the month, %(hours)s",
            nth=_ordinal(repeat.month_week),
            days=_day_names(days),
            hours=hours,
        )
    elif (
        times
        and day_parts.get("FREQ") == "DAILY"
        and day_parts.get("INTERVAL", "1") == "1"
        and set(day_parts) <= _PLAIN_PARTS
    ):
        text = _("Every day, %(hours)s", hours=hours)
    else:
        # Any other rule (from the API, or typed as "another rule"): staff read words, never
        # the raw RRULE; the form shows the rule itself.
        text = _("Repeats by another rule, %(hours)s", hours=hours)
    first = format_date(starts_on, "long", locale=locale)
    text += ", " + _("from %(day)s", day=first)
    until = _until_date(parts["UNTIL"]) if "UNTIL" in parts else None
    count = int(parts["COUNT"]) if parts.get("COUNT", "").isdigit() else None
    if until:
        text += ", " + _("until %(day)s", day=format_date(until, "long", locale=locale))
    elif count:
        text += ", " + _("%(num)d times in all", num=count)
    return text


def preview_starts(
    rrule: str | None,
    starts_on: date,
    start_time: time,
    duration_minutes: int,
    tz: ZoneInfo,
    limit: int = 8,
) -> list[tuple[datetime, datetime]]:
    """The first `limit` (start, end) instants a pattern produces, in UTC; HavehusError
    "invalid_rrule" for a rule the planner would refuse (beyond the limits, or too many)."""
    if not rrule:
        starts = [datetime.combine(starts_on, start_time)]
    else:
        rule = parse_rule(rrule, starts_on, start_time)
        check_session_count(rule, starts_on)
        horizon = datetime.combine(starts_on + timedelta(days=MAX_HORIZON_DAYS), time.max)
        starts = []
        for moment in rule.xafter(datetime.combine(starts_on, time.min), count=limit, inc=True):
            if moment > horizon:
                break
            starts.append(moment)
    result = []
    for local in starts:
        end = local + timedelta(minutes=duration_minutes)
        result.append(
            (local_to_utc(local.date(), local.time(), tz), local_to_utc(end.date(), end.time(), tz))
        )
    return result
