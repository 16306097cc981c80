"""The program API: partner systems create, change and cancel with a manager's token."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import Activity, OutboundMessage, Room, Session
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.program.planner_world import CPH, book, person

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return NOW


def _token(role: str = "manager") -> dict[str, str]:
    _row, raw = create_api_token(db.session, f"{role} system", role, NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def house(app, make_location):
    location = make_location()
    db.session.add(Room(location=location, name="Køkkenet"))
    db.session.commit()
    return location


SPROGHJAELP = {
    "slug": "sproghjaelp",
    "title": {"da": "Sproghjælp", "en": "Language help"},
    "category": "language",
    "mode": "drop_in",
    "capacity": None,
    "location": "Havehuset",
    "rrule": "FREQ=WEEKLY;BYDAY=WE",
    "starts_on": "2026-03-04",
    "start_time": "14:00",
    "duration_minutes": 120,
    "visibility": "public",
    "sensitive": False,
}


def test_creating_answers_201_with_the_sessions_already_made(client, house):
    response = client.post("/api/v1/activities", json=SPROGHJAELP, headers=_token())
    assert response.status_code == 201
    assert response.json["slug"] == "sproghjaelp"
    activity = db.session.get(Activity, response.json["id"])
    assert activity.location_id == house.id
    starts = [s.starts_at.astimezone(CPH) for s in activity.sessions]
    assert starts[0] == datetime(2026, 3, 4, 14, tzinfo=CPH) and len(starts) == 13


def test_an_unbounded_rule_is_capped_at_the_horizon(client, house):
    body = {**SPROGHJAELP, "rrule": "FREQ=DAILY"}
    assert client.post("/api/v1/activities", json=body, headers=_token()).status_code == 201
    last = db.session.scalar(select(Session.starts_at).order_by(Session.starts_at.desc()))
    assert last.astimezone(CPH).date() <= date(2026, 6, 7)  # 12 weeks ahead, that week's Sunday


def test_a_taken_slug_answers_409_exists(client, house):
    client.post("/api/v1/activities", json=SPROGHJAELP, headers=_token())
    response = client.post("/api/v1/activities", json=SPROGHJAELP, headers=_token())
    assert (response.status_code, response.json["code"]) == (409, "exists")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rrule": "FREQ=NEVER"}, "rrule"),
        ({"slug": ""}, "slug"),  # the planner's form may leave it out, the API may not
        ({"title": {"en": "Only English"}}, "title"),
        ({"start_time": "25:00"}, "start_time"),
        ({"location": "The moon"}, "location"),
        ({"sensitive": "yes"}, "sensitive"),
        ({"mode": "signup", "capacity": None}, "capacity"),
    ],
)
def test_invalid_input_answers_422_with_the_field(client, house, change, field):
    response = client.post("/api/v1/activities", json={**SPROGHJAELP, **change}, headers=_token())
    assert response.status_code == 422
    assert response.json["code"] == "invalid"
    assert field in response.json["fields"]
    assert db.session.scalar(select(Activity)) is None


def test_a_partner_token_may_read_but_not_write(client, house):
    client.post("/api/v1/activities", json=SPROGHJAELP, headers=_token())
    partner = _token("partner")
    assert client.post("/api/v1/activities", json=SPROGHJAELP, headers=partner).status_code == 403
    listed = client.get("/api/v1/activities", headers=partner)
    assert [a["slug"] for a in listed.json] == ["sproghjaelp"]
    assert client.get("/api/v1/activities").status_code == 401


def test_patch_moves_the_coming_sessions_and_checks_the_version(client, house):
    created = client.post("/api/v1/activities", json=SPROGHJAELP, headers=_token()).json
    headers = _token()
    response = client.patch(
        "/api/v1/activities/sproghjaelp",
        json={"start_time": "15:00", "version": 1},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    activity = db.session.get(Activity, created["id"])
    assert {s.starts_at.astimezone(CPH).time() for s in activity.sessions} == {time(15)}
    stale = client.patch(
        "/api/v1/activities/sproghjaelp", json={"title": {"da": "X"}, "version": 1}, headers=headers
    )
    assert (stale.status_code, stale.json["code"]) == (409, "conflict")


def test_the_wellbeing_pulse_is_set_by_name_and_kept_when_left_out(client, house):
    created = client.post(
        "/api/v1/activities", json={**SPROGHJAELP, "wellbeing_pulse": True}, headers=_token()
    ).json
    headers = _token()
    kept = client.patch(
        "/api/v1/activities/sproghjaelp", json={"start_time": "15:00"}, headers=headers
    )
    refused = client.patch(
        "/api/v1/activities/sproghjaelp", json={"wellbeing_pulse": "yes"}, headers=headers
    )
    switched = client.patch(
        "/api/v1/activities/sproghjaelp", json={"wellbeing_pulse": False}, headers=headers
    )

    assert kept.json["wellbeing_pulse"] is True  # set when created, kept when left out
    assert refused.status_code == 422 and "wellbeing_pulse" in refused.json["fields"]
    assert switched.json["wellbeing_pulse"] is False
    assert not db.session.get(Activity, created["id"]).wellbeing_pulse


def test_cancelling_a_session_queues_notices(client, house, make_activity):
    activity = make_activity(starts_on=date(2026, 3, 3), rrule=None, now=NOW)
    session = Session(
        activity=activity,
        uid="s1@havehus",
        starts_at=datetime(2026, 3, 3, 9, tzinfo=UTC),
        ends_at=datetime(2026, 3, 3, 11, tzinfo=UTC),
        created_at=NOW,
        updated_at=NOW,
    )
    db.session.add(session)
    db.session.flush()
    book(session, person())
    db.session.commit()
    headers = _token()
    response = client.post(
        f"/api/v1/sessions/{session.id}/cancel", json={"reason": "Storm"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json == {"id": session.id, "status": "cancelled", "sequence": 1, "notices": 1}
    assert db.session.scalar(select(OutboundMessage.kind)) == "change"
    again = client.post(
        f"/api/v1/sessions/{session.id}/cancel", json={"reason": "Storm"}, headers=headers
    )
    assert (again.status_code, again.json["code"]) == (409, "already_cancelled")
    missing = client.post("/api/v1/sessions/999/cancel", json={"reason": "x"}, headers=headers)
    assert missing.status_code == 404


def test_the_openapi_document_describes_the_program_api(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/activities"]) == {"get", "post"}
    assert set(paths["/api/v1/activities/{slug}"]) == {"get", "patch"}
    assert "409" in paths["/api/v1/activities"]["post"]["responses"]
    assert "post" in paths["/api/v1/sessions/{session_id}/cancel"]
