"""A web process may reuse the program version for a moment; after that it sees any change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from havehus.database import reset_transaction_mode, set_transaction_mode
from havehus.extensions import db
from havehus.program.services import bump_program_version
from tests.conftest import build_app


@pytest.fixture
def patient_app(sqlite_url):
    app = build_app(sqlite_url, feed_version_seconds=60.0)
    token = set_transaction_mode(read_only=True)
    with app.app_context():
        db.create_all()
        bump_program_version(db.session, datetime(2026, 11, 1, tzinfo=UTC))
        db.session.commit()
        yield app
        db.session.remove()
    reset_transaction_mode(token)


def test_the_version_is_reused_within_its_time_and_read_again_after(patient_app, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("havehus.feeds.views.time.monotonic", lambda: clock[0])
    client = patient_app.test_client()
    first = client.get("/calendar.ics").headers["ETag"]

    bump_program_version(db.session, datetime(2026, 11, 2, tzinfo=UTC))  # another process
    db.session.commit()
    clock[0] += 30
    assert client.get("/calendar.ics").headers["ETag"] == first  # still within 60 s

    clock[0] += 31
    assert client.get("/calendar.ics").headers["ETag"] != first


def test_the_setting_is_read_from_the_environment(monkeypatch):
    from havehus.config import load_settings

    settings = load_settings(environ={"HAVEHUS_FEED_VERSION_SECONDS": "2.5"})
    assert settings["feed_version_seconds"] == 2.5
