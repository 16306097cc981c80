"""The feeds' VTIMEZONE, written the way major calendar servers write it.

Widely used parsers (ical.js among them) read only the first value of a multi-valued RDATE,
so a zone is written as two yearly RRULEs where its rules allow, else one RDATE per change.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Component, Timezone, TimezoneDaylight, TimezoneStandard

#: How many years of a zone's changes `vtimezone` reads (from the feed's first year) to find
#: its yearly rules; a feed reaches at most two years, the rest guards against a rule that
#: only looks yearly by chance.
RULE_PROBE_YEARS = 10
#: The year a yearly rule's DTSTART lies in, as major calendar servers write it.
RULE_EPOCH = 1970


#: TZOFFSETFROM, TZOFFSETTO and TZNAME of a change, or of a zone without changes.
Offsets = tuple[timedelta, timedelta, str]


@dataclass(frozen=True)
class _Change:
    """One change of a zone's offset (or name), at an instant."""

    at: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str

    @property
    def onset(self) -> datetime:
        """The wall-clock time of the change before it happens: what DTSTART and RDATE hold."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def offsets(self) -> Offsets:
        return (self.offset_from, self.offset_to, self.name)


def _zone_changes(zone: ZoneInfo, first_year: int, years: int) -> list[_Change]:
    """Every change of the zone's offset or name within the years, read from zoneinfo."""

    def state(second: int) -> tuple[timedelta, str]:
        local = datetime.fromtimestamp(second, zone)
        return local.utcoffset() or timedelta(0), local.tzname() or ""

    day = 86_400
    cursor = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(first_year + years, 1, 1, tzinfo=UTC).timestamp())
    changes: list[_Change] = []
    while cursor < end:
        before = state(cursor)
        if state(cursor + day) == before:
            cursor += day
            continue
        low, high = cursor, cursor + day  # the first second of the new state lies in (low, high]
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if state(middle) == before else (low, middle)
        offset_to, name = state(high)
        at = datetime.fromtimestamp(high, UTC)
        changes.append(_Change(at, before[0], offset_to, name))
        cursor = high
    return changes


_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _yearly_rule(onsets: list[datetime]) -> tuple[int, str, time] | None:
    """(BYMONTH, BYDAY, wall time) if every onset is the same nth or last weekday of a month."""
    if len({(onset.month, onset.weekday(), onset.time()) for onset in onsets}) != 1:
        return None
    ordinals = {1, 2, 3, 4, -1}
    for onset in onsets:
        fits = {(onset.day - 1) // 7 + 1}
        if (onset + timedelta(days=7)).month != onset.month:
            fits.add(-1)
        ordinals &= fits
    if not ordinals:
        return None
    # "Last" where both fit (tzdata's rules say lastSun far more often than 4th Sunday).
    ordinal = -1 if -1 in ordinals else ordinals.pop()
    first = onsets[0]
    return first.month, f"{ordinal}{_BYDAY[first.weekday()]}", first.time()


def _first_in_year(year: int, month: int, byday: str, at: time) -> datetime:
    """The day of `year` a yearly BYMONTH/BYDAY rule falls on, at its wall time."""
    ordinal, weekday = int(byday[:-2]), _BYDAY.index(byday[-2:])
    length = monthrange(year, month)[1]
    days = [day for day in range(1, length + 1) if date(year, month, day).weekday() == weekday]
    return datetime.combine(date(year, month, days[ordinal - 1 if ordinal > 0 else -1]), at)


def _observance(daylight: bool, start: datetime, offsets: Offsets) -> Component:
    component = TimezoneDaylight() if daylight else TimezoneStandard()
    offset_from, offset_to, name = offsets
    component.add("dtstart", start)
    component.add("tzname", name)
    component.add("tzoffsetfrom", offset_from)
    component.add("tzoffsetto", offset_to)
    return component


@lru_cache(maxsize=8)
def vtimezone(tzid: str, first_year: int) -> Timezone:
    """The zone's VTIMEZONE as major calendar servers write it, checked from `first_year` on.

    The zone's changes in RULE_PROBE_YEARS years from `first_year` are read from zoneinfo.
    If every year has one change into and one out of summer time, each on the same nth or
    last weekday of the same month at the same wall time, the VTIMEZONE holds those two yearly
    RRULEs from 1970 on (Europe/Copenhagen: the last Sunday of March at 02:00 and of October
    at 03:00, each the local time before the change). A zone without changes gets a single
    STANDARD. Any other zone gets each change as its own RDATE property, never one RDATE with
    many values: ical.js and others read only the first value of such an RDATE.

    Made once per zone and year (the feed passes the year its window starts in).
    """
    zone = ZoneInfo(tzid)
    timezone = Timezone()
    timezone.add("tzid", tzid)
    opening = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
    offset = opening.utcoffset() or timedelta(0)
    initial = _observance(
        False, datetime(RULE_EPOCH, 1, 1), (offset, offset, opening.tzname() or "")
    )
    changes = _zone_changes(zone, first_year, RULE_PROBE_YEARS)
    if not changes:
        timezone.add_component(initial)
        return timezone

    groups: dict[Offsets, list[_Change]] = {}
    for change in changes:
        groups.setdefault(change.offsets, []).append(change)
    years = list(range(first_year, first_year + RULE_PROBE_YEARS))
    rules: dict[Offsets, tuple[int, str, time]] = {}
    for offsets, group in groups.items():
        rule = _yearly_rule([change.onset for change in group])
        if rule and [change.onset.year for change in group] == years:
            rules[offsets] = rule
    if len(groups) == 2 and len(rules) == 2:
        # Summer time is the larger offset (Europe/Dublin's tzdata calls winter the exception).
        for offsets in sorted(rules, key=lambda offsets: offsets[1]):
            month, byday, at = rules[offsets]
            start = _first_in_year(RULE_EPOCH, month, byday, at)
            observance = _observance(offsets[1] > offsets[0], start, offsets)
            observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": byday})
            timezone.add_component(observance)
        return timezone

    # No yearly rule: the offset of `first_year` from 1970 on, then each change on its own line.
    timezone.add_component(initial)
    for offsets, group in groups.items():
        daylight = (group[0].at.astimezone(zone).dst() or timedelta(0)) > timedelta(0)
        observance = _observance(daylight, group[0].onset, offsets)
        for change in group:
            # DTSTART's onset too: where a component has RDATEs, ical.js reads only those.
            observance.add("rdate", change.onset)
        timezone.add_component(observance)
    return timezone
