"""Every route × every kind of visitor answers as tests/authz_matrix.toml says."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from havehus.config import current_settings, settings_of
from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token
from havehus.models import Activity, Location, Participant
from havehus.people.access import KIOSK_COOKIE
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token, enrol_kiosk
from havehus.people.services import create_staff_user, invite_user
from havehus.program.check_in_link import check_in_code
from havehus.program.services import expand_horizon
from havehus.signup import services
from havehus.signup import tokens as signup_tokens
from tests.conftest import DEFAULT_NOW, PinnedClock, _app_with_tables, build_app
from tests.factories import add_participant
from tests.staff_fixtures import PASSWORD, sign_in

MATRIX_FILE = Path(__file__).with_name("authz_matrix.toml")
_LOADED: dict[str, Any] = tomllib.loads(MATRIX_FILE.read_text())
#: The cases about a health appointment, in the file's order.
HEALTH: list[dict[str, Any]] = _LOADED.pop("health")
#: One row per route, keyed "METHOD rule".
MATRIX: dict[str, dict[str, Any]] = _LOADED
#: The columns of a row: `token` holds one status for every role, or one per role.
GROUPS = ("anonymous", "partner", "host", "manager", "admin", "kiosk", "token")
TOKEN_ROLES = ("admin", "manager", "host", "partner")
#: Every visitor: a web visitor by its group, a bearer token as "token:<role>".
PRINCIPALS = GROUPS[:-1] + tuple(f"token:{role}" for role in TOKEN_ROLES)
NOW = DEFAULT_NOW
#: The vaccination's day in the small world (a Tuesday; the other activity is on Thursdays).
HEALTH_DAY = NOW.date() + timedelta(days=6)


def _routes(app: Flask) -> set[str]:
    keys = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            keys.add(f"{method} {rule.rule}")
    return keys


def _expected(row: dict[str, Any], principal: str) -> int:
    """The status a row expects for a visitor."""
    group, _sep, role = principal.partition(":")
    value = row[group]
    return int(value[role] if isinstance(value, dict) else value)


def _texts(row: dict[str, Any], check: str, principal: str) -> list[str]:
    """What an answer must (check "contains") or must not ("lacks") say to a visitor."""
    table = row.get(check, {})
    group, _sep, role = principal.partition(":")
    value = table.get(group, [])
    if isinstance(value, dict):
        value = value.get(role, [])
    return [*table.get("everyone", []), *value]


def _check_columns(name: str, row: dict[str, Any]) -> None:
    assert set(GROUPS) <= set(row), f"{name}: a visitor has no expected status"
    if isinstance(row["token"], dict):
        assert sorted(row["token"]) == sorted(TOKEN_ROLES), f"{name}: a token role is missing"
    for check in ("contains", "lacks"):
        table = row.get(check, {})
        assert set(table) <= {"everyone", *GROUPS}, f"{name}: {check} names an unknown visitor"
        if isinstance(table.get("token"), dict):
            assert set(table["token"]) <= set(TOKEN_ROLES), f"{name}: {check} token role"


def test_every_route_has_a_row_and_every_row_a_route(sqlite_url):
    routes = _routes(build_app(sqlite_url))
    assert sorted(routes - set(MATRIX)) == [], "routes without a decision in authz_matrix.toml"
    assert sorted(set(MATRIX) - routes) == [], "rows for routes that no longer exist"
    for key, row in MATRIX.items():
        _check_columns(key, row)
    for case in HEALTH:
        assert case["route"] in MATRIX, f"{case['about']}: no such route"
        _check_columns(case["about"], case)


def _world(app: Flask) -> dict[str, str]:
    """A little house: an activity with sessions, feeds, another user, token and tablet, and a
    vaccination (a health appointment) that Sahra has booked."""
    house = Location(slug="havehuset", name="Havehuset", address="Æblehaven 12")
    activity = Activity(
        slug="sammen-om-maden",
        title={"da": "Sammen om maden"},
        category="food",
        mode="signup",
        capacity=20,
        rrule="FREQ=WEEKLY;BYDAY=TH",
        starts_on=NOW.date() - timedelta(weeks=4),
        start_time=time(17),
        duration_minutes=120,
        location=house,
        created_at=NOW,
        updated_at=NOW,
    )
    vaccination = Activity(
        slug="vaccination",
        title={"da": "Vaccination"},
        neutral_title={"da": "Aftale i Havehuset"},
        category="health",
        mode="signup",
        capacity=2,
        waitlist_enabled=True,
        sensitive=True,
        rrule=None,
        starts_on=HEALTH_DAY,
        start_time=time(10),
        duration_minutes=120,
        location=house,
        created_at=NOW,
        updated_at=NOW,
    )
    person = Participant(public_id="p1", display_name="Fatima", created_at=NOW)
    db.session.add_all([house, activity, vaccination, person])
    db.session.flush()
    expand_horizon(db.session, 6, NOW, ZoneInfo(settings_of(app).timezone))
    other_user = create_staff_user(db.session, "other@havehus.example", "host", PASSWORD, NOW)
    _invited, invite = invite_user(db.session, "invited@havehus.example", "host", NOW, CLI)
    other_token, _raw = create_api_token(db.session, "Other", "partner", NOW, CLI)
    other_device, _raw = enrol_kiosk(db.session, "Other tablet", None, NOW, CLI)
    partner_token, partner_feed = create_feed_token(
        db.session, "partner", NOW, name="Kommunen", language="da"
    )
    _feed, personal_feed = create_feed_token(
        db.session, "personal", NOW, name="", language="da", participant_id=person.id
    )
    booked = services.book(
        db.session,
        activity.sessions[-1],
        person,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    ).booking
    booking = signup_tokens.booking_token(booked, current_settings())
    sahra = add_participant("Sahra Ali", at=NOW, phone="+4520334455", consents=("health",))
    (health_session,) = vaccination.sessions
    health_booking = services.book(
        db.session,
        health_session,
        sahra,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    ).booking
    db.session.commit()
    return {
        "booking": booking,
        "booking_id": str(booked.id),
        "participant_id": str(person.id),
        "partner_feed_id": str(partner_token.id),
        "slug": activity.slug,
        "session_id": str(activity.sessions[-1].id),
        "check_in_code": check_in_code(activity.sessions[-1].id, current_settings().secret_key),
        "invite": invite,
        "other_user_id": str(other_user.id),
        "other_token_id": str(other_token.id),
        "other_device_id": str(other_device.id),
        "partner_feed": partner_feed,
        "personal_feed": personal_feed,
        "health_day": HEALTH_DAY.isoformat(),
        "health_slug": vaccination.slug,
        "health_session_id": str(health_session.id),
        "health_booking_id": str(health_booking.id),
    }


@pytest.fixture
def world_app(database_url: str, clock: PinnedClock) -> Iterator[Flask]:
    """An empty app, once on SQLite and once on PostgreSQL; the seat counters are checked
    against the bookings afterwards."""
    apps = _app_with_tables(database_url, clock)
    app = next(apps)
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own test below
    yield app
    for _done in apps:  # the rest of the fixture: its checks and clean-up
        pass


def _visitor(app: Flask, principal: str) -> tuple[FlaskClient, dict[str, str]]:
    client: FlaskClient = app.test_client()
    headers: dict[str, str] = {}
    if principal in ("partner", "host", "manager", "admin"):
        user = create_staff_user(
            db.session, f"{principal}@havehus.example", principal, PASSWORD, NOW
        )
        db.session.commit()
        assert sign_in(client, user.email).status_code == 302
    elif principal == "kiosk":
        _device, raw = enrol_kiosk(db.session, "Tablet", None, NOW, CLI)
        db.session.commit()
        client.set_cookie(KIOSK_COOKIE, raw)
    elif principal.startswith("token:"):
        role = principal.removeprefix("token:")
        _token, raw = create_api_token(db.session, f"Integration ({role})", role, NOW, CLI)
        db.session.commit()
        headers["Authorization"] = f"Bearer {raw}"
    return client, headers


def _said(response: TestResponse) -> str:
    """The answer as text; JSON written compact with its keys sorted, as the matrix writes it."""
    if response.is_json:
        data = response.get_json()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return response.get_data().decode("utf-8", errors="replace")  # the poster is a PDF


def _differences(
    client: FlaskClient,
    headers: dict[str, str],
    name: str,
    row: dict[str, Any],
    principal: str,
    values: dict[str, str],
) -> list[str]:
    method = row.get("route", name).split(" ", 1)[0]
    path = row["path"].format(**values)
    response = client.open(path, method=method, headers=headers, json=row.get("json"))
    expected = _expected(row, principal)
    if response.status_code != expected:
        return [f"{name} as {principal}: {response.status_code}, expected {expected}"]
    said = _said(response)
    wrong = [
        f"{name} as {principal}: does not say {text!r} in {said[:200]!r}"
        for text in _texts(row, "contains", principal)
        if text not in said
    ]
    wrong += [
        f"{name} as {principal}: says {text!r}"
        for text in _texts(row, "lacks", principal)
        if text in said
    ]
    return wrong


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_each_route_answers_each_visitor_as_the_matrix_says(world_app, principal):
    values = _world(world_app)
    client, headers = _visitor(world_app, principal)
    rows = sorted(MATRIX.items(), key=lambda item: item[0])
    first = [(key, row) for key, row in rows if not row.get("last", False)]
    last = [(key, row) for key, row in rows if row.get("last", False)]
    # The health cases come after every route and before signing out, in the file's order.
    health = [(f"{case['route']} ({case['about']})", case) for case in HEALTH]
    wrong = []
    for name, row in [*first, *health, *last]:
        wrong += _differences(client, headers, name, row, principal, values)
    assert wrong == []


#: The API authenticates with bearer tokens, not cookies, so it needs (and has) no CSRF token;
#: Twilio's webhooks carry Twilio's signature instead (tests/messaging/test_inbound.py).
POSTS = sorted(
    key for key in MATRIX if key.startswith("POST ") and " /api/" not in key and " /sms/" not in key
)


@pytest.mark.parametrize("key", POSTS)
def test_every_post_without_a_csrf_token_is_refused(client, key):
    user = create_staff_user(db.session, "admin@havehus.example", "admin", PASSWORD, NOW)
    db.session.commit()
    sign_in(client, user.email)
    path = MATRIX[key]["path"].format(
        invite="x", other_user_id=user.id, other_token_id=1, other_device_id=1, session_id=1,
        booking="x", booking_id=1, participant_id=1, personal_feed="x", partner_feed_id=1,
        check_in_code="x",
    )  # fmt: skip
    assert client.post(path).status_code == 400
