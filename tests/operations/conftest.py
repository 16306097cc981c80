"""An app whose database was made by the migrations (a backup names its schema revision)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from havehus.database import reset_transaction_mode, set_transaction_mode
from havehus.extensions import db
from havehus.signup.invariants import seat_drift
from tests.conftest import PinnedClock, build_app


def pg_overrides(database_url: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """pg_dump and pg_restore of the suite's own server (its version matches)."""
    if not database_url.startswith("postgresql"):
        return {}
    return {"pg_bindir": str(request.getfixturevalue("pg_server").bindir)}


def _migrated(url: str, clock: PinnedClock, overrides: dict[str, Any]) -> Iterator[Flask]:
    app = build_app(url, clock, **overrides)
    token = set_transaction_mode(read_only=True)
    try:
        with app.app_context():
            upgrade()
            yield app
            db.session.rollback()
            drift = [str(d) for d in seat_drift(db.session)]
            db.session.remove()
            db.engine.dispose()
        assert not drift, drift
    finally:
        reset_transaction_mode(token)


@pytest.fixture
def migrated_app(
    database_url: str, clock: PinnedClock, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on SQLite and on PostgreSQL, its schema made by `db upgrade`."""
    yield from _migrated(database_url, clock, pg_overrides(database_url, request))


@pytest.fixture
def sqlite_migrated_app(sqlite_url: str, clock: PinnedClock) -> Iterator[Flask]:
    """The same on SQLite only."""
    yield from _migrated(sqlite_url, clock, {})
