"""Public feeds, parsed back independently and compared with the sessions in the database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar

from havehus.extensions import db
from havehus.models import Session
from havehus.program.services import expand_horizon
from tests.feeds.conftest import (
    AUTUMN_DST,
    CPH,
    NOW,
    SPRING_DST,
    cancel_session,
    expected,
    in_window,
    move_session,
    occurrences,
    parse,
)


def _public(house) -> list[Session]:
    return [
        *house.sessions(house.walk),
        *house.sessions(house.dinner),
        *house.sessions(house.vaccination),
    ]


def test_program_feed_holds_every_public_session_in_the_window(house, feed_client):
    response = feed_client.get("/calendar.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert occurrences(response.data) == expected(in_window(_public(house)))


def test_program_feed_leaves_out_partner_and_staff_activities(house, feed_client):
    body = feed_client.get("/calendar.ics").get_data(as_text=True)

    assert "Netværksmøde" not in body
    assert "Styregruppen" not in body


def test_times_stay_at_ten_oclock_across_both_dst_changes(house, feed_client):
    found = {row[2].date(): row for row in occurrences(feed_client.get("/calendar.ics").data)}

    for day in (
        AUTUMN_DST - timedelta(days=7),
        AUTUMN_DST,
        SPRING_DST - timedelta(days=7),
        SPRING_DST,
    ):
        _uid, title, start, end, _status, _seq = found[day]
        assert title == "Gå-fællesskab"
        assert (start.time(), end.time()) == (time(10), time(11, 30))
    assert found[AUTUMN_DST][2].utcoffset() == timedelta(hours=1)
    assert found[AUTUMN_DST - timedelta(days=7)][2].utcoffset() == timedelta(hours=2)
    assert found[SPRING_DST][2].utcoffset() == timedelta(hours=2)
    assert found[SPRING_DST - timedelta(days=7)][2].utcoffset() == timedelta(hours=1)


def test_events_carry_zone_place_link_and_the_sessions_own_change_time(house, feed_client):
    dinner = house.on(house.dinner, NOW.date() + timedelta(days=2))
    calendar = parse(feed_client.get("/calendar.ics").data)
    event = next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == dinner.uid)
    text = event.to_ical().decode()

    assert "DTSTART;TZID=Europe/Copenhagen:20261022T170000" in text
    assert "DTEND;TZID=Europe/Copenhagen:20261022T193000" in text
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    assert str(event["LOCATION"]) == "Havehuset, Køkkenet, Æblehaven 12, 4000 Roskilde"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (55.6415, 12.0803)
    assert str(event["URL"]) == f"http://havehus.test/sessions/{dinner.id}"
    assert event.categories == ["Mad"]
    assert event["DTSTAMP"].dt == dinner.updated_at
    assert event["LAST-MODIFIED"].dt == dinner.updated_at
    assert "Vi laver mad og spiser sammen." in str(event["DESCRIPTION"])
    # Public feeds never count bookings; partner feeds may.
    assert "pladser" not in str(event["DESCRIPTION"])


def test_calendar_properties_name_zone_and_refresh(house, feed_client):
    text = feed_client.get("/calendar.ics").get_data(as_text=True)

    assert text.startswith("BEGIN:VCALENDAR\r\n")
    for line in (
        "VERSION:2.0",
        "PRODID:-//havehus//Calendar feeds//EN",
        "X-WR-CALNAME:Havehuset – program",
        "X-WR-TIMEZONE:Europe/Copenhagen",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "METHOD:PUBLISH",
    ):
        assert f"\r\n{line}\r\n" in text


def test_a_moved_session_keeps_its_uid_and_raises_its_sequence(house, feed_client, clock):
    dinner = house.on(house.dinner, NOW.date() + timedelta(days=9))
    before = {row[0]: row for row in occurrences(feed_client.get("/calendar.ics").data)}

    clock.now = NOW + timedelta(hours=1)
    move_session(dinner, timedelta(hours=1), clock.now)
    after_rows = occurrences(feed_client.get("/calendar.ics").data)
    after = {row[0]: row for row in after_rows}

    assert set(after) == set(before)
    assert after[dinner.uid][5] == before[dinner.uid][5] + 1
    assert after[dinner.uid][2] == before[dinner.uid][2] + timedelta(hours=1)
    assert after[dinner.uid][2].time() == time(18)
    assert after_rows == expected(in_window(_public(house)))


def test_a_cancelled_session_stays_cancelled_until_thirty_days_past(house, feed_client, clock):
    walk = house.on(house.walk, AUTUMN_DST)
    cancel_session(walk, "Storm", clock.now)

    rows = {row[0]: row for row in occurrences(feed_client.get("/calendar.ics").data)}
    assert rows[walk.uid][1] == "Aflyst: Gå-fællesskab"
    assert rows[walk.uid][4] == "CANCELLED"
    assert rows[walk.uid][5] == 1
    assert occurrences(feed_client.get("/calendar.ics").data) == expected(in_window(_public(house)))

    clock.now = datetime(2026, 11, 23, 12, tzinfo=UTC)  # 29 days after
    assert walk.uid in feed_client.get("/calendar.ics").get_data(as_text=True)
    clock.now = datetime(2026, 11, 25, 12, tzinfo=UTC)  # 31 days after
    assert walk.uid not in feed_client.get("/calendar.ics").get_data(as_text=True)


def test_an_unchanged_feed_is_byte_identical_even_after_a_rebuild(house, feed_app, clock):
    client = feed_app.test_client()
    first = client.get("/calendar.ics").data
    feed_app.extensions["havehus.feeds"].clear()
    clock.now = NOW + timedelta(hours=3)

    assert client.get("/calendar.ics").data == first


def test_category_feed_holds_only_its_category(house, feed_client):
    response = feed_client.get("/calendar/food.ics")

    assert occurrences(response.data) == expected(in_window(house.sessions(house.dinner)))
    assert "X-WR-CALNAME:Havehuset – Mad" in response.get_data(as_text=True)
    assert feed_client.get("/calendar/nonsense.ics").status_code == 404


def test_activity_feed_holds_every_session_of_the_activity(house, feed_client):
    response = feed_client.get("/activities/gaa-faellesskab.ics")

    assert occurrences(response.data) == expected(in_window(house.sessions(house.walk)))
    assert feed_client.get("/activities/styregruppe.ics").status_code == 404
    assert feed_client.get("/activities/netvaerksmoede.ics").status_code == 404
    assert feed_client.get("/activities/no-such-thing.ics").status_code == 404
    # The activity's page is still its page.
    assert feed_client.get("/activities/gaa-faellesskab").mimetype == "text/html"


def test_session_feed_is_one_event_with_an_alarm_an_hour_before(house, feed_client):
    walk = house.on(house.walk, SPRING_DST)
    response = feed_client.get(f"/sessions/{walk.id}.ics")
    events = parse(response.data).walk("VEVENT")

    assert occurrences(response.data) == expected([walk])
    assert len(events) == 1
    (alarm,) = events[0].walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(hours=-1)
    assert "filename=" in response.headers["Content-Disposition"]
    staff = house.sessions(house.staff_only)[0]
    assert feed_client.get(f"/sessions/{staff.id}.ics").status_code == 404


def test_feed_language_follows_lang_and_falls_back_to_danish(house, feed_client):
    english = occurrences(feed_client.get("/calendar/walking.ics?lang=en").data)
    unknown = occurrences(feed_client.get("/calendar/walking.ics?lang=xx").data)

    assert {row[1] for row in english} == {"Walking group"}
    assert {row[1] for row in unknown} == {"Gå-fællesskab"}
    assert "X-WR-CALNAME:Havehuset – Walking" in (
        feed_client.get("/calendar/walking.ics?lang=en").get_data(as_text=True)
    )


def test_feed_window_reaches_back_thirty_days_and_at_most_400_ahead(
    house, feed_client, make_session
):
    far = make_session(house.walk, datetime(2028, 1, 4, 9, tzinfo=UTC))
    db.session.commit()
    rows = occurrences(feed_client.get("/calendar/walking.ics").data)

    first_day = NOW.astimezone(CPH).date() - timedelta(days=30)
    assert rows[0][2].date() >= first_day
    assert rows[0][2].date() < first_day + timedelta(days=7)
    assert far.uid not in {row[0] for row in rows}


def test_sessions_added_by_another_process_reach_the_feed(house, feed_app, feed_client, clock):
    before = feed_client.get("/calendar/walking.ics")
    # As `havehus expand` would, in its own app context and database session.
    with feed_app.app_context():
        expand_horizon(db.session, 40, clock.now, CPH)
        db.session.commit()
    after = feed_client.get("/calendar/walking.ics")

    assert after.headers["ETag"] != before.headers["ETag"]
    assert len(occurrences(after.data)) > len(occurrences(before.data))
    assert occurrences(after.data) == expected(in_window(house.sessions(house.walk)))


def test_feed_parses_as_a_single_well_formed_calendar(house, feed_client):
    body = feed_client.get("/calendar.ics").data
    calendars = Calendar.from_ical(body, multiple=True)

    assert len(calendars) == 1
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
