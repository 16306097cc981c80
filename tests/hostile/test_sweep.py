"""Hostile input never breaks the house: every route × every hostile value, on both databases.

For each kind of visitor (anonymous, host, manager) one app on a small seeded house takes
every route of the URL map with every value of the corpus in every place the route reads —
path parameters, the query parameters its view reads, each field of the form the app renders
for it (the others keep their values, the CSRF token is valid), each field of an API body —
and no answer may be a server error, show a value unescaped, or put a raw control character
in a calendar line. See tests/hostile/sweep.py for how the places are found.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from havehus.database import reset_transaction_mode, set_transaction_mode
from havehus.extensions import db
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.conftest import PinnedClock, build_app
from tests.hostile.sweep import (
    TWILIO_TOKEN,
    Findings,
    RecordingRequest,
    Visitor,
    learn,
    routes,
    sweep,
)
from tests.hostile.world import NOW, STAFF, build_world
from tests.staff_fixtures import sign_in

ROLES = ("anonymous", "host", "manager")


@pytest.fixture
def sweep_app(database_url: str) -> Iterator[Flask]:
    app = build_app(
        database_url,
        PinnedClock(NOW),
        # The sweep is one client making thousands of requests: no limit may answer first.
        api_public_requests_per_minute=1_000_000,
        api_token_requests_per_minute=1_000_000,
        twilio_auth_token=TWILIO_TOKEN,
        # Forms repeat their text fields per language, each alike: three languages (one of
        # them written right to left) are all the sweep needs, and they shorten the largest forms.
        languages=["da", "en", "ar"],
    )
    app.request_class = RecordingRequest
    token = set_transaction_mode(read_only=True)
    try:
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        reset_transaction_mode(token)


def _visitor(app: Flask, role: str) -> Visitor:
    world = build_world(app)
    client = app.test_client()
    api_headers: dict[str, str] = {}
    if role != "anonymous":
        assert sign_in(client, STAFF[role]).status_code == 302
        _token, raw = create_api_token(db.session, f"Sweep {role}", role, NOW, CLI)
        db.session.commit()
        api_headers["Authorization"] = f"Bearer {raw}"
    return Visitor(app=app, client=client, world=world, api_headers=api_headers)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_fails_on_hostile_input(sweep_app, role, capsys):
    visitor = _visitor(sweep_app, role)
    every_route = routes(sweep_app)
    findings = Findings()
    started = time.perf_counter()
    learn(visitor, every_route)
    sweep(visitor, every_route, findings)
    seconds = time.perf_counter() - started
    slowest = max(findings.seconds_by_route, key=findings.seconds_by_route.__getitem__)
    with capsys.disabled():  # the sweep's size and time, to keep an eye on both
        print(
            f"\nhostile sweep as {role}: {findings.requests} requests in {seconds:.0f} s "
            f"(longest: {slowest}, {findings.seconds_by_route[slowest]:.0f} s)"
        )
    if findings.problems:
        pytest.fail("hostile input broke these routes:\n" + findings.report(), pytrace=False)
