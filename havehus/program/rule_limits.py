"""What a repeat rule may ask for: only what an activity program needs, checked before expanding.

dateutil walks a rule one period (day, week, month, year) at a time and only looks at UNTIL
when an occurrence comes out: a rule that asks for every minute makes millions of sessions,
and a rule that rarely or never matches (the 30th of February, every 7th day on a Tuesday
when the first day is a Monday) walks on to the year 9999 — with INTERVAL=0 for ever. So a rule
is read part by part first, and only rules where every period it visits has a session (or
nearly every: the 29th of February) get to dateutil. The sessions of an accepted rule are then
counted within the longest horizon, a bounded walk (`count_sessions`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrule
from flask_babel import gettext as _

from havehus.errors import HavehusError

#: Daily and coarser: sessions are hours long; slots within a day come from BYHOUR × BYMINUTE.
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
#: Time slots one day may have, e.g. 16 vaccination slots of 15 minutes in an afternoon.
MAX_SLOTS_PER_DAY = 24
#: Sessions one activity may have within the longest horizon (three years); a daily open
#: house for three years (1,098 days) fits.
MAX_SESSIONS = 1500
MAX_INTERVAL = 99
#: The days an expansion ever looks ahead (three years), however far a caller asks.
MAX_HORIZON_DAYS = 3 * 366

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_NUMBER = re.compile(r"^[+-]?\d{1,3}$")
_UNTIL = re.compile(r"^\d{8}(T\d{6})?$")
_KNOWN = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "WKST",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
}


def _refuse(message: str) -> HavehusError:
    return HavehusError(message, "invalid_rrule")


def split_rule(body: str) -> dict[str, str]:
    """The NAME=VALUE parts of a rule (names and values upper-case); each name at most once."""
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise _refuse(_("Write each part of the rule as NAME=VALUE, e.g. FREQ=WEEKLY."))
        if name in parts:
            raise _refuse(_("The repeat rule gives %(part)s twice.", part=name))
        parts[name] = value
    return parts


def _numbers(
    parts: dict[str, str], name: str, high: int, message: str, *, low: int | None = 0
) -> list[int]:
    """The whole numbers of a BYxxx part, each low..high, or (low=None) 1..high counted from
    either end (-1 is the last); no number twice."""
    if name not in parts:
        return []
    values = parts[name].split(",")
    if not all(_NUMBER.match(value) for value in values):
        raise _refuse(message)
    numbers = [int(value) for value in values]
    if low is None:
        fits = all(1 <= abs(n) <= high for n in numbers)
    else:
        fits = all(low <= n <= high for n in numbers)
    if not fits or len(set(numbers)) != len(numbers):
        raise _refuse(message)
    return numbers


def check_rule_parts(parts: dict[str, str], starts_on: date) -> None:
    """HavehusError "invalid_rrule" unless every part is one an activity program needs, with
    bounded values, so that every period the rule visits (nearly always) has a session."""
    unknown = sorted(set(parts) - _KNOWN)
    if unknown:
        raise _refuse(_("The repeat rule cannot use %(part)s.", part=unknown[0]))
    freq = parts.get("FREQ")
    if freq is None:
        raise _refuse(_("The repeat rule needs FREQ, e.g. FREQ=WEEKLY."))
    if freq not in FREQUENCIES:
        raise _refuse(
            _(
                "A rule repeats at most daily: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY. "
                "Time slots within a day go in BYHOUR and BYMINUTE."
            )
        )
    interval = _single_number(
        parts,
        "INTERVAL",
        MAX_INTERVAL,
        _("INTERVAL is a whole number from 1 to %(max)d.", max=MAX_INTERVAL),
    )
    _single_number(
        parts,
        "COUNT",
        MAX_SESSIONS,
        _("COUNT is a whole number from 1 to %(max)d.", max=MAX_SESSIONS),
    )
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        raise _refuse(_("Write UNTIL as a local date, e.g. 20261231 or 20261231T235959."))
    if "WKST" in parts and parts["WKST"] not in _DAYS:
        raise _refuse(_("WKST is a weekday: MO, TU, WE, TH, FR, SA or SU."))
    _check_days(parts, freq, interval, starts_on)
    _check_slots(parts)


def _single_number(parts: dict[str, str], name: str, high: int, message: str) -> int:
    value = parts.get(name, "1")
    if not value.isdigit() or not 1 <= int(value) <= high:
        raise _refuse(message)
    return int(value)


def _check_days(parts: dict[str, str], freq: str, interval: int, starts_on: date) -> None:
    """Which days: every part must leave each period the rule visits with a day in it."""
    month_days = _numbers(
        parts,
        "BYMONTHDAY",
        28,
        _(
            "BYMONTHDAY takes days 1 to 28, or -1 to -28 counted from the month's end "
            "(-1 is the last day)."
        ),
        low=None,
    )
    months = _numbers(parts, "BYMONTH", 12, _("BYMONTH takes months 1 to 12."), low=1)
    if month_days and freq not in ("MONTHLY", "YEARLY"):
        raise _refuse(_("BYMONTHDAY belongs in a monthly or yearly rule."))
    if months and freq != "YEARLY":
        raise _refuse(_("BYMONTH belongs in a yearly rule."))
    tokens = parts["BYDAY"].split(",") if "BYDAY" in parts else []
    matches = [_DAY.match(token) for token in tokens]
    if not all(matches) or len(set(tokens)) != len(tokens):
        raise _refuse(_("BYDAY takes weekdays: MO, TU, WE, TH, FR, SA, SU."))
    ordinals = [int(m.group(1)) for m in matches if m and m.group(1)]
    if ordinals:
        # Every month has a first to fourth and a last to fourth-last of each weekday.
        if freq != "MONTHLY" and not (freq == "YEARLY" and months):
            raise _refuse(_("A number before a weekday (1MO, -1FR) belongs in a monthly rule."))
        if any(not 1 <= abs(n) <= 4 for n in ordinals):
            raise _refuse(
                _("A number before a weekday is 1 to 4, or -1 to -4 counted from the end.")
            )
    if tokens and freq == "DAILY" and interval != 1:
        raise _refuse(_("A rule every few days cannot also choose weekdays; repeat weekly."))
    if tokens and month_days:
        raise _refuse(_("Choose the days by BYDAY or by BYMONTHDAY, not both."))
    if "BYSETPOS" in parts:
        weekdays = len(tokens) if tokens and not ordinals else 0
        if freq != "MONTHLY" or not weekdays:
            raise _refuse(_("BYSETPOS belongs in a monthly rule with weekdays in BYDAY."))
        # Each month has at least four of each weekday.
        _numbers(
            parts,
            "BYSETPOS",
            4 * weekdays,
            _("BYSETPOS is 1 to %(max)d, or counted from the end with a minus.", max=4 * weekdays),
            low=None,
        )
    if freq == "YEARLY" and months and not tokens and not month_days and starts_on.day > 28:
        # dateutil takes the day of the month from the first day, which some months lack.
        raise _refuse(
            _("Not every month has day %(day)d: add BYMONTHDAY or BYDAY.", day=starts_on.day)
        )


def _check_slots(parts: dict[str, str]) -> None:
    hours = _numbers(parts, "BYHOUR", 23, _("BYHOUR takes hours 0 to 23."))
    minutes = _numbers(parts, "BYMINUTE", 59, _("BYMINUTE takes minutes 0 to 59."))
    if parts.get("BYSECOND", "0") != "0":
        raise _refuse(_("Sessions start on the minute: BYSECOND can only be 0."))
    if max(len(hours), 1) * max(len(minutes), 1) > MAX_SLOTS_PER_DAY:
        raise _refuse(
            _(
                "At most %(max)d time slots a day (the hours in BYHOUR times the minutes in "
                "BYMINUTE).",
                max=MAX_SLOTS_PER_DAY,
            )
        )


def count_sessions(rule: rrule, starts_on: date) -> int:
    """How many sessions the rule makes in the longest horizon from its first day, counted no
    further than MAX_SESSIONS + 1 (a bounded walk: the rule has passed check_rule_parts)."""
    first = datetime.combine(starts_on, time.min)
    last = datetime.combine(starts_on + timedelta(days=MAX_HORIZON_DAYS), time.max)
    found = 0
    for moment in rule.xafter(first, inc=True):
        if moment > last or found > MAX_SESSIONS:
            break
        found += 1
    return found


def check_session_count(rule: rrule, starts_on: date) -> None:
    """HavehusError "invalid_rrule" when the rule makes no session, or too many to plan."""
    found = count_sessions(rule, starts_on)
    if not found:
        raise _refuse(_("This pattern never happens. Check the days and the end."))
    if found > MAX_SESSIONS:
        raise _refuse(
            _(
                "This pattern makes more than %(max)d sessions within three years. "
                "Choose fewer days or time slots, or an end.",
                max=MAX_SESSIONS,
            )
        )
