"""Feeds stay valid whatever a text in the database holds: every text is escaped by the
library, and control characters (which older versions let in) are left out.

A title with a bare CR used to put its own properties and events into X-WR-CALNAME's line; one
with a line break made the activity's and the session's feed answer 500 to every subscriber.
"""

from __future__ import annotations

import re

import pytest

from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token
from havehus.program.services import bump_program_version
from tests.feeds.conftest import NOW, House, parse

#: A raw control character inside a line (CR LF only ever ends one; tab is allowed in TEXT).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _lines(body: bytes) -> list[str]:
    return body.decode().split("\r\n")


def _assert_clean(body: bytes) -> None:
    for line in _lines(body):
        assert not RAW_CONTROL.search(line), line
        assert not line.startswith(("X-INJECTED", "SUMMARY:Falsk")), line


def _retitle(house: House, title: str) -> None:
    house.walk.title = {"da": title}
    bump_program_version(db.session, NOW)
    db.session.commit()


def _calendar_name(body: bytes) -> str:
    """X-WR-CALNAME as a reader unescapes it (icalendar leaves this X- property as written)."""
    written = str(parse(body)["X-WR-CALNAME"])
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], written)


def _uids(body: bytes) -> list[str]:
    return [str(event["UID"]) for event in parse(body).walk("VEVENT")]


def test_a_title_with_a_bare_cr_adds_no_property_and_no_event(house, feed_client):
    path = f"/activities/{house.walk.slug}.ics"
    before = _uids(feed_client.get(path).data)
    _retitle(house, "Gåtur\rX-INJECTED:1\rBEGIN:VEVENT\rSUMMARY:Falsk\rEND:VEVENT")
    response = feed_client.get(path)
    assert response.status_code == 200
    _assert_clean(response.data)
    calendar = parse(response.data)
    # The whole title is the calendar's name, its breaks kept as text, and nothing more.
    assert _calendar_name(response.data).endswith(
        "Gåtur\nX-INJECTED:1\nBEGIN:VEVENT\nSUMMARY:Falsk\nEND:VEVENT"
    )
    assert "X-INJECTED" not in calendar
    assert _uids(response.data) == before
    # Readers that also end a line at a bare CR (many do) find no other event either.
    lines = response.data.decode().splitlines()
    assert lines.count("BEGIN:VEVENT") == len(before)
    assert not [line for line in lines if line.startswith(("X-INJECTED", "SUMMARY:Falsk"))]


@pytest.mark.parametrize("title", ["Gåtur\nmed kaffe", "Gåtur\r\nmed kaffe"])
def test_a_title_with_a_line_break_still_gives_the_activity_and_session_feeds(
    house, feed_client, title
):
    _retitle(house, title)
    session = house.sessions(house.walk)[-1]
    for path in (f"/activities/{house.walk.slug}.ics", f"/sessions/{session.id}.ics"):
        response = feed_client.get(path)
        assert response.status_code == 200, path
        _assert_clean(response.data)
        assert _calendar_name(response.data).endswith("Gåtur\nmed kaffe"), path


def test_control_characters_in_stored_texts_are_left_out(house, feed_client):
    """Summary, note, cancel reason, place and room: whatever they hold, each line is clean."""
    session = house.on(house.dinner, house.sessions(house.dinner)[-1].starts_at.date())
    house.dinner.summary = {"da": "Vi laver mad\x07 og\x0b spiser\x1b[31m sammen\x85."}
    house.place.name = "Havehuset\rX-INJECTED:1"
    house.dinner.room.name = "Køkkenet\x0c"
    session.note = {"da": "Husk\u2028forklæde"}
    session.status = "cancelled"
    session.cancel_reason = "Storm\r\nX-INJECTED:1\x07"
    bump_program_version(db.session, NOW)
    db.session.commit()
    for path in ("/calendar.ics", f"/sessions/{session.id}.ics"):
        response = feed_client.get(path)
        assert response.status_code == 200, path
        _assert_clean(response.data)
    event = next(e for e in parse(response.data).walk("VEVENT") if str(e["UID"]) == session.uid)
    assert str(event["LOCATION"]).startswith("Havehuset\nX-INJECTED:1, Køkkenet,")
    description = str(event["DESCRIPTION"])
    assert "Aflyst: Storm\nX-INJECTED:1\n" in description
    assert "Vi laver mad og spiser[31m sammen." in description
    assert "Huskforklæde" in description


def test_a_partner_feed_named_with_a_line_break_is_still_served(house, feed_client):
    token, raw = create_feed_token(db.session, "partner", NOW, name="Kommunen", language="da")
    token.name = "Kommunen\r\nX-INJECTED:1"  # as older versions could store it
    db.session.commit()
    response = feed_client.get(f"/feeds/{raw}.ics")
    assert response.status_code == 200
    _assert_clean(response.data)
    assert _calendar_name(response.data).endswith("Kommunen\nX-INJECTED:1")
