"""Every route × every kind of visitor answers as tests/authz_matrix.toml says."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from havehus.database import reset_transaction_mode, set_transaction_mode
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
from tests.conftest import DEFAULT_NOW, build_app
from tests.staff_fixtures import PASSWORD, sign_in

MATRIX_FILE = Path(__file__).with_name("authz_matrix.toml")
MATRIX: dict[str, dict[str, Any]] = tomllib.loads(MATRIX_FILE.read_text())
PRINCIPALS = ("anonymous", "partner", "host", "manager", "admin", "kiosk", "token")
#: The real clock: sign-up pages check that the session lies ahead of now.
NOW = DEFAULT_NOW


def _routes(app: Flask) -> set[str]:
    keys = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            keys.add(f"{method} {rule.rule}")
    return keys


def test_every_route_has_a_row_and_every_row_a_route(sqlite_url):
    routes = _routes(build_app(sqlite_url))
    assert sorted(routes - set(MATRIX)) == [], "routes without a decision in authz_matrix.toml"
    assert sorted(set(MATRIX) - routes) == [], "rows for routes that no longer exist"
    for key, row in MATRIX.items():
        assert set(PRINCIPALS) <= set(row), f"{key}: a visitor has no expected status"


def _world(app: Flask) -> dict[str, str]:
    """A little house: an activity with sessions, feeds, another user, token and tablet."""
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
    person = Participant(public_id="p1", display_name="Fatima", created_at=NOW)
    db.session.add_all([house, activity, person])
    db.session.flush()
    expand_horizon(db.session, 6, NOW, ZoneInfo(app.config["HAVEHUS_TIMEZONE"]))
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
        db.session, activity.sessions[-1], person, NOW, CLI, source="staff", notify=False
    ).booking
    booking = services.booking_token(booked)
    db.session.commit()
    return {
        "booking": booking,
        "booking_id": str(booked.id),
        "participant_id": str(person.id),
        "partner_feed_id": str(partner_token.id),
        "slug": activity.slug,
        "session_id": str(activity.sessions[-1].id),
        "check_in_code": check_in_code(activity.sessions[-1].id),
        "invite": invite,
        "other_user_id": str(other_user.id),
        "other_token_id": str(other_token.id),
        "other_device_id": str(other_device.id),
        "partner_feed": partner_feed,
        "personal_feed": personal_feed,
    }


@pytest.fixture
def world_app(sqlite_url: str) -> Iterator[Flask]:
    app = build_app(sqlite_url)
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own test below
    token = set_transaction_mode(read_only=True)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
    reset_transaction_mode(token)


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
    elif principal == "token":
        _token, raw = create_api_token(db.session, "Integration", "manager", NOW, CLI)
        db.session.commit()
        headers["Authorization"] = f"Bearer {raw}"
    return client, headers


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_each_route_answers_each_visitor_as_the_matrix_says(world_app, principal):
    values = _world(world_app)
    client, headers = _visitor(world_app, principal)
    ordered = sorted(MATRIX.items(), key=lambda item: (item[1].get("last", False), item[0]))
    wrong = []
    for key, row in ordered:
        method = key.split(" ", 1)[0]
        path = row["path"].format(**values)
        response = client.open(path, method=method, headers=headers)
        if response.status_code != row[principal]:
            wrong.append(f"{key} as {principal}: {response.status_code}, expected {row[principal]}")
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
