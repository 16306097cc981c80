"""Fixtures for the feeds: a house whose program spans both DST changes, a clock, parsing."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from havehus.extensions import db
from havehus.models import Activity, Booking, Location, Participant, Room, Session
from havehus.program.services import bump_program_version, expand_horizon
from tests.conftest import PinnedClock, unavailable
from tests.factories import add_booking, add_participant
from tests.feeds import readers
from tests.feeds.readers import Reading

CPH = ZoneInfo("Europe/Copenhagen")
#: Tuesday 20 October 2026, 12:00 in Copenhagen (summer time, five days before it ends).
NOW = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
AUTUMN_DST = date(2026, 10, 25)
SPRING_DST = date(2027, 3, 28)


@pytest.fixture
def clock_start() -> datetime:
    """The feed tests' clock starts at NOW; tests move it with `clock.now = …`."""
    return NOW


@pytest.fixture
def feed_app(any_app: Flask) -> Flask:
    """The app feed tests run on: both databases unless a module narrows it."""
    return any_app


@pytest.fixture
def feed_client(feed_app: Flask) -> FlaskClient:
    return feed_app.test_client()


@dataclass
class House:
    place: Location
    walk: Activity
    dinner: Activity
    vaccination: Activity
    partners_only: Activity
    staff_only: Activity

    def sessions(self, activity: Activity) -> list[Session]:
        return list(
            db.session.scalars(
                db.select(Session).where(Session.activity_id == activity.id).order_by("starts_at")
            )
        )

    def on(self, activity: Activity, day: date) -> Session:
        """The activity's (first) session on a local day."""
        return next(s for s in self.sessions(activity) if s.starts_at.astimezone(CPH).date() == day)


@pytest.fixture
def house(feed_app: Flask, make_location, make_activity, clock: PinnedClock) -> House:
    place = make_location(
        address="Æblehaven 12, 4000 Roskilde", latitude=55.6415, longitude=12.0803
    )
    kitchen = Room(location=place, name="Køkkenet")
    db.session.add(kitchen)
    start = date(2026, 9, 1)
    walk = make_activity(
        slug="gaa-faellesskab",
        title={"da": "Gå-fællesskab", "en": "Walking group"},
        summary={"da": "Vi går en tur fra huset.", "en": "We walk from the house."},
        category="walking",
        rrule="FREQ=WEEKLY;BYDAY=SU",
        starts_on=start,
        start_time=time(10),
        duration_minutes=90,
        location=place,
    )
    dinner = make_activity(
        slug="sammen-om-maden",
        title={"da": "Sammen om maden", "en": "Cooking together"},
        summary={"da": "Vi laver mad og spiser sammen.", "en": "We cook and eat together."},
        category="food",
        mode="signup",
        capacity=20,
        rrule="FREQ=WEEKLY;BYDAY=TH",
        starts_on=start,
        start_time=time(17),
        duration_minutes=150,
        location=place,
        room=kitchen,
    )
    vaccination = make_activity(
        slug="popup-vaccination",
        title={"da": "Pop-up vaccination", "en": "Pop-up vaccination"},
        summary={"da": "Regionen vaccinerer i huset.", "en": "The region vaccinates."},
        neutral_title={"da": "Aftale i Havehuset", "en": "Appointment at Havehuset"},
        category="health",
        mode="signup",
        capacity=2,
        sensitive=True,
        rrule="FREQ=WEEKLY;BYDAY=FR;BYHOUR=14;BYMINUTE=0,15",
        starts_on=start,
        start_time=time(14),
        duration_minutes=15,
        location=place,
    )
    partners_only = make_activity(
        slug="netvaerksmoede",
        title={"da": "Netværksmøde for partnere", "en": "Partner network meeting"},
        category="meeting",
        visibility="partners",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        starts_on=start,
        start_time=time(13),
        location=place,
    )
    staff_only = make_activity(
        slug="styregruppe",
        title={"da": "Styregruppen", "en": "Steering group"},
        category="meeting",
        visibility="staff",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        starts_on=start,
        start_time=time(9),
    )
    # Far enough to hold the spring DST change of 2027 as well.
    expand_horizon(db.session, 26, clock.now, CPH)
    db.session.commit()
    return House(place, walk, dinner, vaccination, partners_only, staff_only)


@pytest.fixture
def make_participant() -> Callable[..., Participant]:
    def make(name: str = "Amina", phone: str = "+4520123456", **fields: Any) -> Participant:
        return add_participant(name, at=NOW, phone=phone, consents=(), **fields)

    return make


@pytest.fixture
def book() -> Callable[..., Booking]:
    def make(participant: Participant, session: Session, status: str = "confirmed") -> Booking:
        return add_booking(session, participant, status, at=NOW)

    return make


def move_session(session: Session, delta: timedelta, now: datetime) -> None:
    """What the planner does when a session moves: new time, SEQUENCE up, program bumped."""
    session.starts_at += delta
    session.ends_at += delta
    session.sequence += 1
    session.updated_at = now
    bump_program_version(db.session, now)
    db.session.commit()


def cancel_session(session: Session, reason: str, now: datetime) -> None:
    """What the planner does when a session is cancelled."""
    session.status = "cancelled"
    session.cancel_reason = reason
    session.sequence += 1
    session.updated_at = now
    bump_program_version(db.session, now)
    db.session.commit()


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def occurrences(body: bytes) -> list[tuple[str, str, datetime, datetime, str, int]]:
    """Every occurrence, as an independent library expands it: uid, title, start, end, status."""
    events = recurring_ical_events.of(parse(body)).between(date(2000, 1, 1), date(2100, 1, 1))
    found = [
        (
            str(event["UID"]),
            str(event["SUMMARY"]),
            event["DTSTART"].dt.astimezone(CPH),
            event["DTEND"].dt.astimezone(CPH),
            str(event["STATUS"]),
            int(event["SEQUENCE"]),
        )
        for event in events
    ]
    return sorted(found, key=lambda row: (row[2], row[0]))


def expected(sessions: list[Session], title: Callable[[Session], str] | None = None) -> list:
    """The same rows built from the database, with times in Copenhagen."""
    rows = []
    for session in sessions:
        name = title(session) if title else session.activity.title["da"]
        cancelled = session.status == "cancelled"
        rows.append(
            (
                session.uid,
                f"Aflyst: {name}" if cancelled else name,
                session.starts_at.astimezone(CPH),
                session.ends_at.astimezone(CPH),
                "CANCELLED" if cancelled else "CONFIRMED",
                session.sequence,
            )
        )
    return sorted(rows, key=lambda row: (row[2], row[0]))


def in_window(sessions: list[Session], now: datetime = NOW) -> list[Session]:
    """Sessions a windowed feed holds: ended at most 30 days (from local midnight) ago."""
    first = now.astimezone(CPH).date() - timedelta(days=30)
    start = datetime.combine(first, time(0), tzinfo=CPH)
    return [s for s in sessions if s.ends_at > start]


# ---------------------------------------------------------------- independent readers

#: Reads a feed's bytes and returns its events as the reader understood them.
FeedReader = Callable[[bytes], list[Reading]]


def _unavailable(reason: str) -> NoReturn:
    unavailable("The ical.js feed tests", reason)


@pytest.fixture
def read_with_icaljs(tmp_path: Path) -> FeedReader:
    """ical.js run by node; skipped without node or `npm ci` in tests/feeds/js (failed in CI)."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed (the feeds are also read with ical.js, an npm package)")
    installed, pinned = readers.icaljs_version(), readers.icaljs_pinned_version()
    if installed is None:
        _unavailable("ical.js is not installed in tests/feeds/js: `make test` installs it (npm ci)")
    elif installed != pinned:
        _unavailable(
            f"ical.js {installed} is installed, the lock file pins {pinned}: run `make test`"
        )
    assert node is not None
    files = itertools.count(1)

    def read(body: bytes) -> list[Reading]:
        path = tmp_path / f"feed-{next(files)}.ics"
        path.write_bytes(body)
        return readers.read_with_icaljs(node, path)

    return read


@pytest.fixture
def read_with_dateutil() -> FeedReader:
    return readers.read_with_dateutil


@pytest.fixture(params=["ical.js", "dateutil"])
def read_independently(request: pytest.FixtureRequest) -> FeedReader:
    """Each independent reader in turn."""
    name = "read_with_icaljs" if request.param == "ical.js" else "read_with_dateutil"
    reader: FeedReader = request.getfixturevalue(name)
    return reader
