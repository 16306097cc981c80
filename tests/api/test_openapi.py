"""/api/v1/openapi.json is a valid OpenAPI 3.1 document that describes every API route."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from havehus.extensions import db
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.conftest import DEFAULT_NOW


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every /api/v1 rule the app answers."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # the OpenAPI 3.1 schema, schema objects in its JSON Schema dialect


def test_every_schema_is_valid_json_schema(document):
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_described_and_nothing_else(app, document):
    routes = _routes(app)
    assert len(routes) >= 10
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    assert sorted(routes - described) == [], "routes missing from openapi.json"
    assert sorted(described - routes) == [], "openapi.json describes routes that do not exist"


def test_path_parameters_are_typed_like_the_rule(document):
    (parameter,) = document["paths"]["/api/v1/sessions/{session_id}/bookings"]["post"]["parameters"]
    assert parameter == {
        "name": "session_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }


def test_token_routes_name_their_security_and_refusals(document):
    booking = document["paths"]["/api/v1/sessions/{session_id}/bookings"]["post"]
    assert booking["security"] == [{"bearerAuth": []}]
    assert {"201", "401", "403", "404", "409", "422"} <= set(booking["responses"])
    assert "security" not in document["paths"]["/api/v1/sessions"]["get"]


def test_the_query_of_the_session_list_is_described(document):
    parameters = {
        item["name"]: item for item in document["paths"]["/api/v1/sessions"]["get"]["parameters"]
    }
    assert set(parameters) == {"from", "to", "category", "lang"}
    assert parameters["from"]["required"] and parameters["to"]["required"]
    assert parameters["from"]["schema"] == {"type": "string", "format": "date"}
    assert "null" not in str(parameters["category"]["schema"])


def test_strict_types_are_what_the_document_says(document):
    schemas = document["components"]["schemas"]
    booking = Draft202012Validator(schemas["BookingRequest"])
    assert booking.is_valid({"name": "Hodan", "wants_company": True})
    assert not booking.is_valid({"name": "Hodan", "wants_company": "yes"})
    activity = Draft202012Validator(schemas["ActivityChanges"])
    assert activity.is_valid({"capacity": None, "version": 3})
    assert not activity.is_valid({"duration_minutes": "5"})
    assert not activity.is_valid({"sensitive": None})


def test_answers_match_their_schemas(client, document, program):
    schemas = document["components"]["schemas"]
    sessions = client.get("/api/v1/sessions?from=2026-11-30&to=2026-12-06").get_json()
    assert sessions
    for item in sessions:
        Draft202012Validator(schemas["Session"]).validate(item)
    refused = client.get("/api/v1/sessions?from=x").get_json()
    Draft202012Validator(schemas["Error"]).validate(refused)
    _token, raw = create_api_token(db.session, "Partner", "partner", DEFAULT_NOW, CLI)
    db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    activities = client.get("/api/v1/activities", headers=headers).get_json()
    assert activities
    for activity in activities:
        Draft202012Validator(schemas["Activity"]).validate(activity)
    Draft202012Validator(schemas["Token"]).validate(
        client.get("/api/v1/me", headers=headers).get_json()
    )
