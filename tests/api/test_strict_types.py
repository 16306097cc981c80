"""Request bodies are read strictly: a wrong type is a 422 naming the field, never a guess or a 500.

"yes" and 1 are not booleans, "5" is not a number, a list is not a text; numbers an integer
column cannot hold, NUL bytes and control characters, bodies nested too deep and bodies that
are not JSON objects are refused with {"code": "invalid", "fields": {...}}.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import Activity, Session
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.api.answers import ENGLISH, nested, refused
from tests.conftest import DEFAULT_NOW

TOO_BIG = 2**31  # one more than an integer column holds
NEW_ACTIVITY = {
    "slug": "sproghjaelp",
    "title": {"da": "Sproghjælp"},
    "category": "language",
    "mode": "drop_in",
    "location": "Havehuset",
    "rrule": "FREQ=WEEKLY;BYDAY=WE",
    "starts_on": "2026-12-09",
    "start_time": "14:00",
    "duration_minutes": 120,
}


def _headers(role: str) -> dict[str, str]:
    _token, raw = create_api_token(db.session, f"{role} system", role, DEFAULT_NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}", **ENGLISH}


@pytest.fixture
def manager(app, make_location) -> dict[str, str]:
    make_location()
    return _headers("manager")


# ---------------------------------------------------------------- activities


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"sensitive": "yes"}, "sensitive", "Must be true or false."),
        ({"sensitive": 1}, "sensitive", "Must be true or false."),
        ({"sensitive": None}, "sensitive", "Must be true or false."),
        ({"duration_minutes": "5"}, "duration_minutes", "Must be a whole number."),
        ({"duration_minutes": 90.0}, "duration_minutes", "Must be a whole number."),
        ({"duration_minutes": True}, "duration_minutes", "Must be a whole number."),
        ({"slug": ["sproghjaelp"]}, "slug", "Must be text."),
        ({"rrule": ["FREQ=DAILY"]}, "rrule", "Give an RRULE text, or null for a single date."),
        ({"location": {"name": "Havehuset"}}, "location", "Give the place as text."),
        ({"category": ["language"]}, "category", "Choose one of: garden, food, crafts, "
         "walking, health, language, reading, music, meeting, other."),
        ({"title": ["Sproghjælp"]}, "title", "Give an object of language code → text."),
        ({"title": {"da": 5}}, "title", "Give an object of language code → text."),
        ({"theme_tags": "sprog"}, "theme_tags", "Give a list of texts."),
        ({"reminder_offsets": ["60"]}, "reminder_offsets", "Give a list of minutes."),
        ({"starts_on": 20261209}, "starts_on", "Not a date; use YYYY-MM-DD."),
        ({"starts_on": "9 December"}, "starts_on", "Not a date; use YYYY-MM-DD."),
        ({"start_time": 14}, "start_time", "Not a time; use HH:MM."),
        ({"start_time": "14:00+01:00"}, "start_time", "Not a time; use HH:MM."),
    ],
)  # fmt: skip
def test_a_wrong_type_names_the_field(client, manager, change, field, message):
    response = client.post("/api/v1/activities", json={**NEW_ACTIVITY, **change}, headers=manager)
    assert refused(response, field) == message
    assert db.session.scalar(select(Activity)) is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"duration_minutes": TOO_BIG}, "duration_minutes", "Must be at most 2147483647."),
        ({"duration_minutes": 10**30}, "duration_minutes", "Must be at most 2147483647."),
        ({"capacity": -TOO_BIG - 1}, "capacity", "Must be at least -2147483648."),
        ({"offer_hold_hours": TOO_BIG}, "offer_hold_hours", "Must be at most 2147483647."),
        ({"reminder_offsets": [60, TOO_BIG]}, "reminder_offsets", "Must be at most 2147483647."),
    ],
)
def test_a_number_no_integer_column_holds_isrefused(client, manager, change, field, message):
    response = client.post("/api/v1/activities", json={**NEW_ACTIVITY, **change}, headers=manager)
    assert refused(response, field) == message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "sprog\x00hjaelp"}, "slug"),
        ({"title": {"da": "Sprog\x00hjælp"}}, "title"),
        ({"title": "Sprog\x1bhjælp"}, "title"),
        ({"summary": {"da": "Kom\x07 forbi"}}, "summary"),
        ({"location": "Havehuset\x00"}, "location"),
        ({"rrule": "FREQ=WEEKLY;\rBYDAY=WE"}, "rrule"),
        ({"theme_tags": ["sprog\x85"]}, "theme_tags"),
        # A title, a neutral wording and a price are one line: a break would end a calendar line.
        ({"title": {"da": "Sproghjælp\r\nBEGIN:VEVENT"}}, "title"),
        ({"title": "Sproghjælp\rX-INJECTED:1"}, "title"),
        ({"neutral_title": {"da": "Aftale\ni huset"}}, "neutral_title"),
        ({"price_text": {"da": "Gratis\r\n"}}, "price_text"),
    ],
)
def test_nul_bytes_and_control_characters_arerefused(client, manager, change, field):
    response = client.post("/api/v1/activities", json={**NEW_ACTIVITY, **change}, headers=manager)
    assert refused(response, field) == "Must not contain control characters."


def test_a_longer_text_may_hold_line_breaks_and_tabs(client, manager):
    summary = {"da": "Vi øver samtaler.\n\tKaffe og kage."}
    body = {**NEW_ACTIVITY, "summary": summary}
    response = client.post("/api/v1/activities", json=body, headers=manager)
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(Activity.summary)) == summary


def test_several_bad_fields_get_one_message_each(client, manager):
    bad = {"sensitive": "yes", "duration_minutes": "5", "slug": ["x"], "theme_tags": [1, 2, 3]}
    response = client.post("/api/v1/activities", json={**NEW_ACTIVITY, **bad}, headers=manager)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == set(bad)
    assert all(isinstance(message, str) for message in fields.values())


def test_unknown_fields_are_ignored_as_before(client, manager):
    body = {**NEW_ACTIVITY, "colour": "green", "host_ids": [1], "photo": {"x": [1]}}
    response = client.post("/api/v1/activities", json=body, headers=manager)
    assert response.status_code == 201
    activity = db.session.get(Activity, response.get_json()["id"])
    assert activity.photo is None and activity.hosts == []


def test_a_plain_title_is_still_the_danish_one(client, manager):
    body = {**NEW_ACTIVITY, "title": "Sproghjælp"}
    assert client.post("/api/v1/activities", json=body, headers=manager).status_code == 201
    assert db.session.scalar(select(Activity.title)) == {"da": "Sproghjælp"}


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        '"sproghjaelp"',
        "5",
        "null",
        "{",
        "",
        nested(100_000),
        '{"slug": "x", "extra": ' + nested(100_000) + "}",
        '{"duration_minutes": ' + "9" * 5000 + "}",
    ],
    ids=["list", "text", "number", "null", "broken", "empty", "deep", "deep-inside", "huge"],
)
def test_a_body_that_is_no_json_object_isrefused(client, manager, raw):
    response = client.post(
        "/api/v1/activities", data=raw, content_type="application/json", headers=manager
    )
    assert refused(response, "body") == "Send a JSON object."
    assert response.get_json()["message"] == "Send a JSON object."


def test_a_body_of_another_type_isrefused(client, manager):
    response = client.post("/api/v1/activities", data={"slug": "x"}, headers=manager)
    assert refused(response, "body") == "Send a JSON object."


def test_patch_reads_strictly_too(client, manager):
    assert client.post("/api/v1/activities", json=NEW_ACTIVITY, headers=manager).status_code == 201
    url = "/api/v1/activities/sproghjaelp"
    assert refused(client.patch(url, json={"version": "1"}, headers=manager), "version") == (
        "Must be a whole number."
    )
    assert refused(client.patch(url, json={"version": TOO_BIG}, headers=manager), "version")
    assert refused(client.patch(url, json={"step_free": "no"}, headers=manager), "step_free")
    assert refused(client.patch(url, json=[1], headers=manager), "body")
    # A field left out keeps its value; null clears only what may be empty.
    changed = client.patch(url, json={"rrule": None, "location": None}, headers=manager)
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["rrule"], changed.get_json()["location"]) == (None, None)
    assert changed.get_json()["title"] == {"da": "Sproghjælp"}


def test_messages_are_translated_like_every_other(client, manager):
    danish = {key: value for key, value in manager.items() if key != "Accept-Language"}
    body = {**NEW_ACTIVITY, "sensitive": "yes"}
    response = client.post("/api/v1/activities", json=body, headers=danish)
    assert response.get_json()["fields"] == {"sensitive": "Skal være true eller false."}


# ---------------------------------------------------------------- cancelling a session


@pytest.fixture
def coming_session(app, make_activity, make_session) -> Session:
    activity = make_activity(starts_on=date(2026, 12, 9), rrule=None)
    session = make_session(activity, datetime(2026, 12, 9, 13, tzinfo=UTC))
    db.session.commit()
    return session


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"reason": ["Storm"]}, "Must be text."),
        ({"reason": 5}, "Must be text."),
        ({"reason": "Storm\x00"}, "Must not contain control characters."),
        ({}, "Say why, in a few words."),
    ],
)
def test_a_cancel_reason_must_be_text(client, manager, coming_session, body, message):
    url = f"/api/v1/sessions/{coming_session.id}/cancel"
    assert refused(client.post(url, json=body, headers=manager), "reason") == message
    db.session.refresh(coming_session)
    assert coming_session.status == "scheduled"


def test_a_cancel_body_nested_too_deep_isrefused(client, manager, coming_session):
    response = client.post(
        f"/api/v1/sessions/{coming_session.id}/cancel",
        data=nested(100_000),
        content_type="application/json",
        headers=manager,
    )
    assert refused(response, "body") == "Send a JSON object."


# ---------------------------------------------------------------- the session list's query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-12-01%00&to=2026-12-02", "from"),
        ("from=2026-12-01&to=2026-13-02", "to"),
        ("from=2026-12-01&to=2026-12-02&category=food%00", "category"),
        ("from=2026-12-01&to=2026-12-02&category=" + "x" * 10_000, "category"),
        ("from=0001-01-01&to=2026-12-02", "from"),
        ("from=2026-12-01&to=9999-12-31", "to"),
    ],
)
def test_odd_query_parameters_arerefused(client, app, query, field):
    response = client.get(f"/api/v1/sessions?{query}", headers=ENGLISH)
    assert refused(response, field)


def test_a_day_outside_the_calendar_says_which_days_it_holds(client, manager):
    response = client.get("/api/v1/sessions?from=0001-01-01&to=2026-12-02", headers=ENGLISH)
    assert refused(response, "from") == "Choose a day between 1900-01-01 and 2199-12-31."
    body = {**NEW_ACTIVITY, "starts_on": "9999-12-31"}
    response = client.post("/api/v1/activities", json=body, headers=manager)
    assert refused(response, "starts_on") == "Choose a day between 1900-01-01 and 2199-12-31."


def test_window_messages_are_kept(client, app):
    missing = client.get("/api/v1/sessions?from=", headers=ENGLISH).get_json()["fields"]
    assert missing == {"from": "Required, as YYYY-MM-DD.", "to": "Required, as YYYY-MM-DD."}
    reversed_ = client.get("/api/v1/sessions?from=2026-12-05&to=2026-12-01", headers=ENGLISH)
    assert reversed_.get_json()["fields"] == {"to": "Must be on or after from."}
    too_long = client.get("/api/v1/sessions?from=2026-01-01&to=2027-02-05", headers=ENGLISH)
    assert too_long.get_json()["fields"] == {"to": "The window may be at most 400 days."}
    assert too_long.get_json()["message"] == "Some parameters are not valid."
