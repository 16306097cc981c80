"""Benchmark the calendar feeds against baselines measured in the same run.

With 500 sessions in the feed window it reports:
  (a) a conditional GET answered 304, and (b) the cached full feed, each in requests per second
      relative to a bare Flask endpoint on the same app and the same local server
      (targets: >= 0.8 and >= 0.5);
  (c) a cold rebuild of the feed (query + build + serialize) relative to serializing the same
      500 events directly with icalendar (target: <= 1.3).

Run with `make bench` or `.venv/bin/python bench/feeds.py [--requests N] [--rounds N]`.
Everything stays on 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar, Event, vDuration
from sqlalchemy import func, select
from werkzeug.serving import make_server

from havehus import create_app
from havehus.extensions import db
from havehus.feeds import services
from havehus.feeds.views import _settings
from havehus.models import Activity, Location, ProgramVersion, Session
from havehus.program.recurrence import expand_activity

SESSIONS = 500
ACTIVITIES = 5


def _seed(app: Flask, now: datetime) -> int:
    """Five daily activities, 100 sessions each, all inside the feed window."""
    tz = _settings_tz(app)
    today = now.astimezone(tz).date()
    with app.app_context():
        db.create_all()
        place = Location(
            slug="havehuset",
            name="Havehuset",
            address="Æblehaven 12, 4000 Roskilde",
            latitude=55.6415,
            longitude=12.0803,
        )
        db.session.add(place)
        db.session.add(ProgramVersion(id=1, version=1, changed_at=now))
        per_activity = SESSIONS // ACTIVITIES
        first = today - timedelta(days=services.DAYS_BACK - 1)
        for number, category in enumerate(("garden", "food", "crafts", "walking", "music")):
            activity = Activity(
                slug=f"activity-{number}",
                title={"da": f"Aktivitet nummer {number}", "en": f"Activity number {number}"},
                summary={
                    "da": "Vi mødes i huset og laver noget sammen. Alle er velkomne.",
                    "en": "We meet in the house and do something together. Everyone is welcome.",
                },
                category=category,
                mode="signup" if category == "food" else "drop_in",
                capacity=20 if category == "food" else None,
                rrule="FREQ=DAILY",
                starts_on=first,
                start_time=clock_time(10 + number),
                duration_minutes=90,
                location=place,
                created_at=now,
                updated_at=now,
            )
            db.session.add(activity)
            db.session.flush()
            expand_activity(db.session, activity, first + timedelta(days=per_activity - 1), now, tz)
        db.session.commit()
        start, end = services.feed_window(now, tz)
        return db.session.scalar(
            select(func.count(Session.id)).where(Session.ends_at > start, Session.starts_at < end)
        )


def _settings_tz(app: Flask) -> ZoneInfo:
    with app.app_context():
        return _settings().tz


@contextmanager
def _server(app: Flask) -> Iterator[int]:
    """The app on a local werkzeug server; yields its port.

    werkzeug's server closes the connection after each response, so every request pays for a
    new connection, as an hourly calendar poll does.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _rate(port: int, path: str, headers: dict[str, str], requests: int, status: int) -> float:
    """Requests per second for `requests` sequential GETs to the local server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        start = time.perf_counter()
        for _ in range(requests):
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != status:
                raise SystemExit(f"{path}: expected {status}, got {response.status}")
        return requests / (time.perf_counter() - start)
    finally:
        connection.close()


def _rate_in_process(
    client: FlaskClient, path: str, headers: dict[str, str], requests: int, status: int
) -> float:
    """Requests per second for `requests` GETs through Flask's test client (no sockets)."""
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get(path, headers=headers)
        if response.status_code != status:
            raise SystemExit(f"{path}: expected {status}, got {response.status_code}")
    return requests / (time.perf_counter() - start)


def _interleaved(measures: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each measure once per round, in turn, so drift hits all of them alike."""
    results: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            results[name].append(measure())
    return results


def _direct_serialization(body: bytes) -> Callable[[], bytes]:
    """A function serializing the same events straight with icalendar, from plain values."""
    parsed = Calendar.from_ical(body)
    head = [(key, str(parsed[key])) for key in ("PRODID", "VERSION", "CALSCALE", "METHOD")]
    head += [(key, str(parsed[key])) for key in ("X-WR-CALNAME", "X-WR-TIMEZONE")]
    timezone = parsed.walk("VTIMEZONE")[0]
    events = []
    for event in parsed.walk("VEVENT"):
        events.append(
            (
                str(event["UID"]),
                event["DTSTAMP"].dt,
                event["LAST-MODIFIED"].dt,
                int(event["SEQUENCE"]),
                event["DTSTART"].dt,
                event["DTEND"].dt,
                str(event["SUMMARY"]),
                str(event["DESCRIPTION"]),
                str(event["LOCATION"]),
                (event["GEO"].latitude, event["GEO"].longitude),
                str(event["URL"]),
                list(event.categories),
                str(event["STATUS"]),
            )
        )

    def serialize() -> bytes:
        calendar = Calendar()
        for key, value in head:
            calendar.add(key, value)
        calendar.add("refresh-interval", services.REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(services.REFRESH))
        calendar.add_component(timezone)
        for row in events:
            event = Event()
            for key, value in zip(
                (
                    "uid",
                    "dtstamp",
                    "last-modified",
                    "sequence",
                    "dtstart",
                    "dtend",
                    "summary",
                    "description",
                    "location",
                    "geo",
                    "url",
                    "categories",
                    "status",
                ),
                row,
                strict=True,
            ):
                event.add(key, value)
            calendar.add_component(event)
        return calendar.to_ical()

    return serialize


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is reported)")
    parser.add_argument(
        "--via",
        choices=("server", "client"),
        default="server",
        help="a local werkzeug server (default) or Flask's test client, for (a) and (b)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    requests = max(50, min(args.requests, 20000))
    rounds = max(1, min(args.rounds, 50))

    workdir = Path(tempfile.mkdtemp(prefix="havehus-bench-"))
    os.environ["HAVEHUS_INSTANCE_PATH"] = str(workdir)
    app = create_app({"database_url": f"sqlite:///{workdir / 'bench.db'}"})
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
    now = datetime.now(UTC)
    in_window = _seed(app, now)

    with app.app_context():
        settings = _settings()
        spec = services.public_feed("da")
        body = services.build_feed(db.session, spec, now, settings)
        direct = _direct_serialization(body)
        same_bytes = direct() == body

        def rebuild() -> None:
            # A cold rebuild: nothing from an earlier query may help.
            db.session.remove()
            services.build_feed(db.session, spec, now, settings)

        cold = _interleaved(
            {"rebuild": lambda: _timed(rebuild), "direct": lambda: _timed(direct)}, rounds * 2
        )

    gzip = {"Accept-Encoding": "gzip"}
    client = app.test_client()
    first = client.get("/calendar.ics", headers=gzip)
    packed, etag = first.data, first.headers["ETag"]
    conditional = {**gzip, "If-None-Match": etag}
    cases = {
        "bare": ("/bench/bare", gzip, 200),
        "304": ("/calendar.ics", conditional, 304),
        "full gzip": ("/calendar.ics", gzip, 200),
        "full plain": ("/calendar.ics", {}, 200),
    }
    if args.via == "client":
        rates = _interleaved(
            {
                name: partial(_rate_in_process, client, path, headers, requests, status)
                for name, (path, headers, status) in cases.items()
            },
            rounds,
        )
    else:
        with _server(app) as port:
            rates = _interleaved(
                {
                    name: partial(_rate, port, path, headers, requests, status)
                    for name, (path, headers, status) in cases.items()
                },
                rounds,
            )

    median = {name: statistics.median(values) for name, values in {**rates, **cold}.items()}
    checks = [
        ("(a) conditional GET, 304", median["304"] / median["bare"], ">=", 0.8),
        ("(b) cached feed, gzip", median["full gzip"] / median["bare"], ">=", 0.5),
        ("(b) cached feed, uncompressed", median["full plain"] / median["bare"], ">=", 0.5),
        ("(c) cold rebuild / direct icalendar", median["rebuild"] / median["direct"], "<=", 1.3),
    ]
    print(f"sessions in the feed window: {in_window}")
    print(f"feed size: {len(body)} bytes, {len(packed)} gzipped")
    print(f"direct serialization gives the same bytes as the feed: {same_bytes}")
    print(
        f"python {sys.version.split()[0]}, via {args.via}, "
        f"{requests} requests x {rounds} rounds (median)"
    )
    for name in ("bare", "304", "full gzip", "full plain"):
        print(f"  {name:<12} {median[name]:8.0f} req/s")
    for name in ("rebuild", "direct"):
        print(f"  {name:<12} {median[name] * 1000:8.1f} ms")
    missed = 0
    for label, ratio, sense, target in checks:
        met = ratio >= target if sense == ">=" else ratio <= target
        missed += not met
        verdict = "ok" if met else "MISSED"
        print(f"{label:<38} {ratio:5.2f}  (target {sense} {target})  {verdict}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
