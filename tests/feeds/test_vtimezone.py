"""The feeds' VTIMEZONE: yearly rules as major calendar servers write them, read back right."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from havehus.feeds import vtimezone as zones
from havehus.feeds.vtimezone import vtimezone
from tests.feeds.conftest import FeedReader

COPENHAGEN = [
    (
        "STANDARD",
        {
            "DTSTART": ["19701025T030000"],
            "RRULE": [{"FREQ": "YEARLY", "BYMONTH": "10", "BYDAY": "-1SU"}],
            "TZOFFSETFROM": ["+0200"],
            "TZOFFSETTO": ["+0100"],
            "TZNAME": ["CET"],
        },
    ),
    (
        "DAYLIGHT",
        {
            # 02:00 is the wall-clock time before the change (+0100), as RFC 5545 wants it.
            "DTSTART": ["19700329T020000"],
            "RRULE": [{"FREQ": "YEARLY", "BYMONTH": "3", "BYDAY": "-1SU"}],
            "TZOFFSETFROM": ["+0100"],
            "TZOFFSETTO": ["+0200"],
            "TZNAME": ["CEST"],
        },
    ),
]


def observances(text: str) -> list[tuple[str, dict[str, list]]]:
    """The STANDARD and DAYLIGHT parts of a VTIMEZONE: NAME → every line's value, in order."""
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    found: list[tuple[str, dict[str, list]]] = []
    current: dict[str, list] | None = None
    for line in unfolded.split("\r\n"):
        name, _, value = line.partition(":")
        if name == "BEGIN" and value in ("STANDARD", "DAYLIGHT"):
            current = {}
            found.append((value, current))
        elif name == "END" and value in ("STANDARD", "DAYLIGHT"):
            current = None
        elif current is not None:
            parsed = (
                dict(part.split("=") for part in value.split(";")) if name == "RRULE" else value
            )
            current.setdefault(name, []).append(parsed)
    return found


def test_copenhagen_is_two_yearly_rules_on_the_last_sundays_of_march_and_october():
    text = vtimezone("Europe/Copenhagen", 2026).to_ical().decode()

    assert "\r\nTZID:Europe/Copenhagen\r\n" in text
    assert observances(text) == COPENHAGEN
    assert "RDATE" not in text


def test_the_feeds_zone_is_those_rules_with_no_rdate(house, feed_client):
    text = feed_client.get("/calendar.ics").get_data(as_text=True)
    (zone,) = re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.DOTALL)

    assert observances(zone) == COPENHAGEN
    assert "RDATE" not in zone


def test_the_zone_is_made_once_per_zone_and_year():
    assert vtimezone("Europe/Copenhagen", 2026) is vtimezone("Europe/Copenhagen", 2026)


@pytest.mark.parametrize(
    ("tzid", "standard", "daylight"),
    [
        ("America/New_York", ("19701101T020000", "11", "1SU"), ("19700308T020000", "3", "2SU")),
        ("Australia/Sydney", ("19700405T030000", "4", "1SU"), ("19701004T020000", "10", "1SU")),
        # tzdata gives Ireland a negative summer time in winter; calendars call summer DAYLIGHT.
        ("Europe/Dublin", ("19701025T020000", "10", "-1SU"), ("19700329T010000", "3", "-1SU")),
    ],
)
def test_other_zones_get_their_own_yearly_rules(tzid, standard, daylight):
    parts = dict(observances(vtimezone(tzid, 2026).to_ical().decode()))

    for name, (start, month, byday) in (("STANDARD", standard), ("DAYLIGHT", daylight)):
        assert parts[name]["DTSTART"] == [start]
        assert parts[name]["RRULE"] == [{"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": byday}]


@pytest.mark.parametrize("tzid", ["Asia/Tokyo", "UTC"])
def test_a_zone_without_summer_time_is_a_single_standard_without_rule(tzid):
    text = vtimezone(tzid, 2026).to_ical().decode()
    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(tzid)).strftime("%z")

    ((name, parts),) = observances(text)
    assert name == "STANDARD"
    assert parts["TZOFFSETFROM"] == parts["TZOFFSETTO"] == [offset]
    assert "RRULE" not in parts and "RDATE" not in parts


def test_a_zone_whose_changes_follow_no_yearly_rule_gets_one_rdate_line_per_change():
    # Israel: summer time starts on the Friday before the last Sunday of March.
    zone = ZoneInfo("Asia/Jerusalem")
    parts = observances(vtimezone("Asia/Jerusalem", 2026).to_ical().decode())

    assert [name for name, _ in parts] == ["STANDARD", "DAYLIGHT", "STANDARD"]
    assert all("RRULE" not in lines for _, lines in parts)
    summer_starts = parts[1][1]["RDATE"]
    assert len(summer_starts) == zones.RULE_PROBE_YEARS
    assert all("," not in value for _, lines in parts for value in lines.get("RDATE", []))
    assert parts[1][1]["DTSTART"] == summer_starts[:1]
    for value in summer_starts:
        before = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
        assert before.utcoffset() == timedelta(hours=2)
        assert (before + timedelta(hours=1)).utcoffset() == timedelta(hours=3)


# Zones with a rule (both hemispheres, quarter hours, Ireland's negative summer time),
# without summer time, and without a yearly rule (Israel, Chile, Morocco's Ramadan changes).
ZONES = [
    "Europe/Copenhagen",
    "Europe/Dublin",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Chatham",
    "Asia/Tokyo",
    "UTC",
    "Asia/Jerusalem",
    "America/Santiago",
    "Africa/Casablanca",
]


def _probe_times(zone: ZoneInfo, first_year: int, years: int) -> list[datetime]:
    """Local noon every day, and two hours either side of every change, as local times."""
    day, end = date(first_year, 1, 1), date(first_year + years, 1, 1)
    times = []
    while day < end:
        times.append(datetime(day.year, day.month, day.day, 12))
        noon_utc = datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)
        tomorrow_utc = noon_utc + timedelta(days=1)
        if noon_utc.astimezone(zone).utcoffset() != tomorrow_utc.astimezone(zone).utcoffset():
            step = noon_utc
            while step.astimezone(zone).utcoffset() == noon_utc.astimezone(zone).utcoffset():
                step += timedelta(minutes=15)
            for shift in (timedelta(hours=-2), timedelta(hours=2)):
                times.append((step + shift).astimezone(zone).replace(tzinfo=None))
        day += timedelta(days=1)
    return times


def _calendar(tzid: str, times: list[datetime]) -> bytes:
    """A minimal calendar: the zone and one hour-long event at each local time."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//havehus//zone test//EN"]
    lines += vtimezone(tzid, 2026).to_ical().decode().rstrip("\r\n").split("\r\n")
    for number, local in enumerate(times):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{number}@zone-test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={tzid}:{local:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tzid}:{local + timedelta(hours=1):%Y%m%dT%H%M%S}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize("tzid", ZONES)
def test_independent_readers_find_the_offsets_zoneinfo_has(tzid, read_independently: FeedReader):
    zone = ZoneInfo(tzid)
    # Three years cover a feed (30 days back, 400 ahead) wherever in the year it starts.
    times = _probe_times(zone, 2026, 3)

    readings = read_independently(_calendar(tzid, times))

    assert len(readings) == len(times)
    wrong = [
        (local, reading.start, local.replace(tzinfo=zone).astimezone(UTC))
        for local, reading in zip(times, readings, strict=True)
        if reading.start != local.replace(tzinfo=zone).astimezone(UTC)
    ]
    assert wrong == []
