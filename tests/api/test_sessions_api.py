"""GET /api/v1/sessions: the public session list in the shape ARCHITECTURE.md promises."""

from __future__ import annotations

KEYS = {
    "id", "activity", "title", "category", "start", "end",
    "status", "mode", "capacity", "seats_left", "uid",
}  # fmt: skip


def test_sessions_in_a_window_with_local_offsets(client, program):
    response = client.get("/api/v1/sessions?from=2026-12-03&to=2026-12-03")
    assert response.status_code == 200
    (dinner,) = response.get_json()
    assert set(dinner) == KEYS
    assert dinner["activity"] == "sammen-om-maden"
    assert dinner["title"] == "Sammen om maden"
    assert dinner["start"] == "2026-12-03T17:00:00+01:00"
    assert dinner["end"] == "2026-12-03T19:30:00+01:00"
    assert dinner["status"] == "scheduled"
    assert dinner["mode"] == "signup"
    assert (dinner["capacity"], dinner["seats_left"]) == (20, 20)
    assert dinner["uid"].endswith("@havehus")


def test_drop_in_sessions_have_no_capacity(client, program):
    (garden,) = client.get("/api/v1/sessions?from=2026-12-01&to=2026-12-01").get_json()
    assert garden["mode"] == "drop_in"
    assert garden["capacity"] is None and garden["seats_left"] is None


def test_dates_are_inclusive_and_local(client, program):
    week = client.get("/api/v1/sessions?from=2026-11-30&to=2026-12-06").get_json()
    slugs = [item["activity"] for item in week]
    assert slugs == [
        "havefaellesskabet",
        "sammen-om-maden",
        "popup-vaccination",
        "popup-vaccination",
    ]
    assert [item["start"] for item in week] == sorted(item["start"] for item in week)


def test_summer_times_carry_the_summer_offset(client, program, make_activity):
    from datetime import UTC, date, datetime, time

    from havehus.extensions import db
    from havehus.program.services import expand_horizon
    from tests.program_fixtures import CPH

    make_activity(slug="summer", rrule=None, starts_on=date(2027, 7, 1), start_time=time(14))
    expand_horizon(db.session, 40, datetime(2026, 12, 2, tzinfo=UTC), CPH)
    db.session.commit()
    items = client.get("/api/v1/sessions?from=2027-07-01&to=2027-07-01").get_json()
    (summer,) = [item for item in items if item["activity"] == "summer"]
    assert summer["start"] == "2027-07-01T14:00:00+02:00"


def test_staff_only_sessions_are_left_out(client, program):
    week = client.get("/api/v1/sessions?from=2026-11-30&to=2026-12-06").get_json()
    assert "havehusmoede" not in {item["activity"] for item in week}


def test_titles_in_another_language_and_unknown_language_falls_back(client, program):
    (dinner,) = client.get("/api/v1/sessions?from=2026-12-03&to=2026-12-03&lang=en").get_json()
    assert dinner["title"] == "Cooking together"
    (dinner,) = client.get("/api/v1/sessions?from=2026-12-03&to=2026-12-03&lang=xx").get_json()
    assert dinner["title"] == "Sammen om maden"


def test_filter_by_category(client, program):
    items = client.get("/api/v1/sessions?from=2026-11-30&to=2026-12-06&category=food").get_json()
    assert [item["activity"] for item in items] == ["sammen-om-maden"]


def test_missing_and_malformed_parameters_get_field_errors(client, program):
    response = client.get("/api/v1/sessions?from=yesterday")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"from", "to"}


def test_window_of_more_than_400_days_is_refused(client, program):
    ok = client.get("/api/v1/sessions?from=2026-01-01&to=2027-02-04")  # 400 days
    assert ok.status_code == 200
    too_long = client.get("/api/v1/sessions?from=2026-01-01&to=2027-02-05")
    assert too_long.status_code == 422
    assert "to" in too_long.get_json()["fields"]


def test_end_before_start_and_unknown_category_are_refused(client, program):
    body = client.get("/api/v1/sessions?from=2026-12-05&to=2026-12-01&category=x").get_json()
    assert set(body["fields"]) == {"to", "category"}


def test_api_errors_are_json_even_for_unknown_routes(client, program):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_openapi_document_describes_the_session_shape(client, program):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    schema = document["components"]["schemas"]["Session"]
    assert set(schema["required"]) == KEYS
    assert "/api/v1/sessions" in document["paths"]


def test_a_partner_token_also_sees_partner_sessions(client, program, make_activity):
    from datetime import date, time

    from havehus.extensions import db
    from havehus.people.audit import CLI
    from havehus.people.credentials import create_api_token
    from havehus.program.services import expand_horizon
    from tests.program_fixtures import CPH, NOW

    make_activity(slug="netvaerk", visibility="partners", rrule=None,
                  starts_on=date(2026, 12, 3), start_time=time(9))  # fmt: skip
    expand_horizon(db.session, 4, NOW, CPH)
    _token, partner = create_api_token(db.session, "Kommunen", "partner", NOW, CLI)
    _token, manager = create_api_token(db.session, "Intern", "manager", NOW, CLI)
    db.session.commit()
    url = "/api/v1/sessions?from=2026-12-02&to=2026-12-03"

    def slugs(headers=None):
        return {item["activity"] for item in client.get(url, headers=headers or {}).get_json()}

    assert "netvaerk" not in slugs()
    assert "netvaerk" in slugs({"Authorization": f"Bearer {partner}"})
    assert "havehusmoede" not in slugs({"Authorization": f"Bearer {partner}"})
    assert {"netvaerk", "havehusmoede"} <= slugs({"Authorization": f"Bearer {manager}"})
