"""The feed read by parsers that expand its VTIMEZONE themselves, against the week pages.

Calendar clients do not look the TZID up in a time zone database: they compute each event's
instant from the VTIMEZONE in the feed. So the feed is read here by ical.js and by dateutil,
neither of which shares code with icalendar (which writes it), and every occurrence around both
DST changes must land where the public week pages put it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from havehus.extensions import db
from havehus.models import Session
from havehus.timeutil import iso_week_label
from tests.feeds.conftest import AUTUMN_DST, CPH, SPRING_DST, FeedReader, in_window

#: The VTIMEZONE the feeds had before: every change in one RDATE, summer time from 03:00.
MULTI_VALUED_RDATE = (Path(__file__).parent / "data" / "multi-rdate.vtimezone").read_text()
_ZONE = re.compile(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", re.DOTALL)


def _weeks_around(day: date) -> list[str]:
    """The ISO weeks before, of and after a DST change."""
    return [iso_week_label(day + timedelta(days=offset)) for offset in (-7, 0, 7)]


WEEKS = _weeks_around(AUTUMN_DST) + _weeks_around(SPRING_DST)


def _week_page_times(client, week: str) -> dict[int, list[datetime]]:
    """Session id → the instants its <time datetime> attributes show on a week page."""
    page = client.get(f"/week/{week}").get_data(as_text=True)
    shown: dict[int, list[datetime]] = {}
    # A session card's link holds its start and end; a time slot's link its start only.
    for session_id, inner in re.findall(r'href="/sessions/(\d+)">(.*?)</a>', page, re.DOTALL):
        times = re.findall(r'<time datetime="([^"]+)">', inner)
        shown[int(session_id)] = [datetime.fromisoformat(t).astimezone(UTC) for t in times]
    return shown


def _wrong(readings, sessions: list[Session]) -> list[tuple[str, datetime, datetime]]:
    """Events a reader puts elsewhere than the database: (uid, reader's start, real start)."""
    real = {session.uid: session for session in sessions}
    return [
        (reading.uid, reading.start, real[reading.uid].starts_at)
        for reading in readings
        if (reading.start, reading.end) != (real[reading.uid].starts_at, real[reading.uid].ends_at)
    ]


def _public_sessions(house) -> list[Session]:
    return [
        *house.sessions(house.walk),
        *house.sessions(house.dinner),
        *house.sessions(house.vaccination),
    ]


def test_every_occurrence_around_both_dst_changes_is_where_the_week_pages_show_it(
    house, feed_client, read_independently: FeedReader
):
    readings = {r.uid: r for r in read_independently(feed_client.get("/calendar.ics").data)}
    uids = {row.id: row.uid for row in db.session.execute(db.select(Session.id, Session.uid))}

    checked = 0
    for week in WEEKS:
        shown = _week_page_times(feed_client, week)
        assert shown, f"nothing on the page of {week}"
        for session_id, times in shown.items():
            reading = readings[uids[session_id]]
            assert [reading.start, reading.end][: len(times)] == times, (week, session_id)
            checked += 1
    # Walks, dinners and vaccination times in six weeks: all of them, none left out.
    assert checked == 6 * (1 + 1 + 2)
    wrong = _wrong(readings.values(), in_window(_public_sessions(house)))
    assert wrong == []
    assert len(readings) == len(in_window(_public_sessions(house)))


def test_the_week_pages_show_the_times_in_the_database(house, feed_client):
    sessions = {session.id: session for session in _public_sessions(house)}

    for week in WEEKS:
        for session_id, times in _week_page_times(feed_client, week).items():
            session = sessions[session_id]
            assert times == [session.starts_at, session.ends_at][: len(times)]
    # The walk stays at 10:00 local across both changes: 08:00 UTC in summer, 09:00 in winter.
    assert house.on(house.walk, AUTUMN_DST - timedelta(days=7)).starts_at.hour == 8
    assert house.on(house.walk, AUTUMN_DST).starts_at.hour == 9
    assert house.on(house.walk, SPRING_DST - timedelta(days=7)).starts_at.hour == 9
    assert house.on(house.walk, SPRING_DST).starts_at.hour == 8


def test_icaljs_puts_summer_events_an_hour_late_with_the_old_multi_valued_rdate(
    house, feed_client, read_with_icaljs: FeedReader
):
    """What partners saw: the test above fails for the zone the feeds used to have."""
    feed = feed_client.get("/calendar.ics").get_data(as_text=True)
    old_zone = MULTI_VALUED_RDATE.replace("\r\n", "\n").replace("\n", "\r\n")
    old = _ZONE.sub(lambda _match: old_zone, feed)
    assert "\r\nRDATE:19810329T030000,19820328T030000," in old

    sessions = {s.uid: s for s in in_window(_public_sessions(house))}
    wrong = _wrong(read_with_icaljs(old.encode()), list(sessions.values()))
    late = {uid: start - real for uid, start, real in wrong}

    # ical.js reads only the RDATE's first value (1981): after that, winter time for ever.
    summer = {uid for uid, s in sessions.items() if s.starts_at.astimezone(CPH).dst()}
    assert summer, "the window holds summer-time sessions"
    assert late == {uid: timedelta(hours=1) for uid in summer}


def test_both_readers_take_the_zone_from_the_feed_not_from_a_time_zone_database(
    house, feed_client, read_independently: FeedReader
):
    feed = feed_client.get("/calendar.ics").get_data(as_text=True)
    # Same TZID, a made-up offset: a reader using its own Europe/Copenhagen would not see it.
    made_up = (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Copenhagen\r\nBEGIN:STANDARD\r\n"
        "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\n"
        "TZNAME:MADE-UP\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    readings = read_independently(_ZONE.sub(lambda _match: made_up, feed).encode())

    sessions = {s.uid: s for s in in_window(_public_sessions(house))}
    assert readings
    for reading in readings:
        local = sessions[reading.uid].starts_at.astimezone(CPH).replace(tzinfo=None)
        assert reading.start == (local - timedelta(hours=5)).replace(tzinfo=UTC)
