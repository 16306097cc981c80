"""Fixtures: an app on a fresh SQLite file per test, and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from havehus import create_app
from havehus.attendance.invariants import visit_drift
from havehus.database import reset_transaction_mode, set_transaction_mode
from havehus.extensions import db
from havehus.models import Activity, Location, Session
from havehus.paths import CONFIG_DIR
from havehus.people.passwords import use_test_parameters
from havehus.signup.invariants import seat_drift
from tests.pgserver import PostgresServer, PostgresUnavailable

pytest_plugins = ["tests.program_fixtures", "tests.staff_fixtures"]

# Cheap argon2 parameters: the suite hashes thousands of passwords (production is untouched).
use_test_parameters()

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, reason: str) -> NoReturn:
    """Something a test needs is missing: skipped on a developer's machine, failed in CI
    (`CI=true`), where a missing server or tool must never pass as a skip."""
    if IN_CI:
        pytest.fail(f"{what} must run in CI: {reason}")
    pytest.skip(reason)


_db_counter = itertools.count()

#: The suite's "now" unless a test pins another: Wednesday 2 December 2026, 12:00 in Copenhagen.
#: No test reads the machine's clock, so the suite passes at any hour (CI proves it with faketime).
DEFAULT_NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


class PinnedClock:
    """The app's clock in tests: it stands still at an instant until the test moves it."""

    def __init__(self, at: datetime) -> None:
        self.now = at.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock_start() -> datetime:
    """The instant the test's clock shows; a module or conftest overrides it to pin another."""
    return DEFAULT_NOW


@pytest.fixture
def clock(clock_start: datetime) -> PinnedClock:
    """The clock of every app the test builds: views, commands and jobs read "now" from it."""
    return PinnedClock(clock_start)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's HAVEHUS_* variables leak into a test; the instance folder is private."""
    for key in list(os.environ):
        if key.startswith("HAVEHUS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HAVEHUS_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL server for the whole test session."""
    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as exc:
        unavailable("PostgreSQL", f"PostgreSQL could not start: {exc}")
    yield server
    server.stop()


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as a server does (own g, session, locale).

    Without this, a request made while a test holds an app context would share that
    context's g and database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # End the test's own transaction first: what the test wrote becomes visible to the
        # request, and what the request writes is visible to the test's next read.
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def build_app(database_url: str, clock: PinnedClock | None = None, **overrides: Any) -> Flask:
    """An app on the test settings whose clock is pinned (by default to DEFAULT_NOW)."""
    config = {
        "config_file": str(CONFIG_DIR / "test.toml"),
        "database_url": database_url,
        "testing": True,
        **overrides,
    }
    app = create_app(config, clock=clock or PinnedClock(DEFAULT_NOW))
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'havehus-test.db'}"


def _app_with_tables(url: str, clock: PinnedClock) -> Iterator[Flask]:
    app = build_app(url, clock)
    # The test's own session reads between requests; as IMMEDIATE (the CLI's default) each
    # of those reads would hold SQLite's write lock and block the requests under test.
    token = set_transaction_mode(read_only=True)
    try:
        with app.app_context():
            db.create_all()
            yield app
            db.session.rollback()
            # Whatever the test did, the seat counters still equal the bookings they count.
            drift = [str(d) for d in seat_drift(db.session) + visit_drift(db.session)]
            db.session.remove()
            db.engine.dispose()
        assert not drift, f"counters or visits drifted from the bookings: {drift}"
    finally:
        reset_transaction_mode(token)


@pytest.fixture
def app(sqlite_url: str, clock: PinnedClock) -> Iterator[Flask]:
    """An app on its own SQLite file, tables created, inside an app context."""
    yield from _app_with_tables(sqlite_url, clock)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on the session's PostgreSQL server."""
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"havehus_test_{os.getpid()}_{next(_db_counter)}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'havehus-test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def any_app(database_url: str, clock: PinnedClock) -> Iterator[Flask]:
    """An app with tables, run once per database (SQLite and PostgreSQL)."""
    yield from _app_with_tables(database_url, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# ---------------------------------------------------------------- factories


@pytest.fixture
def make_location() -> Callable[..., Location]:
    def make(slug: str = "havehuset", name: str = "Havehuset", **fields: Any) -> Location:
        location = Location(slug=slug, name=name, address=fields.pop("address", "Æblehaven 12"))
        for key, value in fields.items():
            setattr(location, key, value)
        db.session.add(location)
        db.session.flush()
        return location

    return make


@pytest.fixture
def make_activity() -> Callable[..., Activity]:
    counter = itertools.count(1)

    def make(**fields: Any) -> Activity:
        number = next(counter)
        now = fields.pop("now", datetime(2026, 1, 1, tzinfo=UTC))
        defaults: dict[str, Any] = {
            "slug": f"activity-{number}",
            "title": {"da": f"Aktivitet {number}", "en": f"Activity {number}"},
            "summary": {},
            "category": "other",
            "mode": "drop_in",
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "starts_on": date(2026, 1, 6),
            "start_time": time(10, 0),
            "duration_minutes": 120,
            "created_at": now,
            "updated_at": now,
        }
        defaults.update(fields)
        activity = Activity(**defaults)
        db.session.add(activity)
        db.session.flush()
        return activity

    return make


@pytest.fixture
def make_session() -> Callable[..., Session]:
    counter = itertools.count(1)

    def make(activity: Activity, starts_at: datetime, minutes: int = 120, **fields: Any) -> Session:
        session = Session(
            activity=activity,
            uid=f"test-{next(counter)}@havehus",
            occurrence_start=fields.pop("occurrence_start", None),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            created_at=starts_at,
            updated_at=starts_at,
            **fields,
        )
        db.session.add(session)
        db.session.flush()
        return session

    return make
