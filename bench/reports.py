"""Benchmark the yearly report against one hand-written SQL GROUP BY in the same run.

Builds three years of history with bulk inserts (3,000 sessions, 60,000 named visits,
2,000 participants, bookings with no-shows for the dinners, head counts for the drop-ins) in
a throw-away SQLite file (or `--database-url`), then times, interleaved over rounds:

  (a) `report(...)` for one year, the total only (what `havehus report` computes);
  (b) the same with `--by department`;
  baseline: one hand-written SQL statement over the same tables — named visits and unique
      people per housing department in that year, GROUP BY — whose figures are checked
      against the report's, so both sides count the same visits.

It prints each median and its ratio to the baseline (target: ≤ 5), and the number of SQL
statements each report sends (tests/reports/test_report_queries.py asserts that number).

Run with `.venv/bin/python bench/reports.py [--rounds N] [--database-url URL] [--strict]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import event, insert, text

from havehus import create_app
from havehus.extensions import db
from havehus.models import (
    Activity,
    Booking,
    Department,
    DepartmentPopulation,
    Location,
    Participant,
    Session,
    Tally,
    Visit,
)
from havehus.reports.indicators import OUTSIDE, TOTAL, UNKNOWN, Row, report

TZ = ZoneInfo("Europe/Copenhagen")
#: The report is made on this day; the history is the three years before.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
YEARS = (2023, 2024, 2025)
#: The year measured.
YEAR = 2025
SESSIONS = 3_000
VISITS_PER_SESSION = 20
PARTICIPANTS = 2_000
DEPARTMENTS = 6
#: Activities: (slug, category, mode); the sessions are shared out evenly among them.
ACTIVITIES = [
    ("sammen-om-maden", "food", "signup"),
    ("suppe-og-snak", "food", "signup"),
    ("madklub", "food", "signup"),
    ("havefaellesskabet", "garden", "drop_in"),
    ("norklecafe", "crafts", "drop_in"),
    ("gaatur", "walking", "drop_in"),
    ("lektiecafe", "language", "drop_in"),
    ("bogklub", "reading", "drop_in"),
    ("sangkor", "music", "drop_in"),
    ("beboermoede", "meeting", "drop_in"),
]
NO_SHOWS_PER_DINNER = 3
TARGET = 5.0


def _seed(app: Flask) -> dict[str, int]:
    """Three years of history, written with one multi-row INSERT per table."""
    rng = random.Random(17)
    made = datetime(2022, 12, 1, tzinfo=UTC)
    with app.app_context():
        db.create_all()
        orm = db.session
        orm.execute(insert(Location), [{"id": 1, "slug": "havehuset", "name": "Havehuset"}])
        orm.execute(
            insert(Department),
            [
                {"id": n, "slug": f"afd-{n}", "name": f"Afd. {n:02d}"}
                for n in range(1, DEPARTMENTS + 1)
            ],
        )
        orm.execute(
            insert(DepartmentPopulation),
            [
                {
                    "department_id": n,
                    "year": year,
                    "residents": 400 + 50 * n,
                    "adults": 300 + 40 * n,
                }
                for n in range(1, DEPARTMENTS + 1)
                for year in YEARS
            ],
        )
        people = []
        for number in range(1, PARTICIPANTS + 1):
            where = rng.random()
            people.append(
                {
                    "id": number,
                    "public_id": f"bench-{number:05d}",
                    "display_name": f"Person {number}",
                    "language": "da",
                    "department_id": rng.randint(1, DEPARTMENTS) if where < 0.75 else None,
                    "outside_area": 0.75 <= where < 0.85,
                    "channel": "other",
                    "created_at": made,
                }
            )
        orm.execute(insert(Participant), people)
        orm.execute(
            insert(Activity),
            [
                {
                    "id": number,
                    "slug": slug,
                    "title": {"da": slug},
                    "summary": {},
                    "category": category,
                    "mode": mode,
                    "capacity": 30 if mode == "signup" else None,
                    "location_id": 1,
                    "rrule": None,
                    "starts_on": date(YEARS[0], 1, 1),
                    "start_time": clock_time(17),
                    "duration_minutes": 120,
                    "created_at": made,
                    "updated_at": made,
                    "version": 1,
                }
                for number, (slug, category, mode) in enumerate(ACTIVITIES, start=1)
            ],
        )
        first = datetime(YEARS[0], 1, 1, 9, 0, tzinfo=UTC)
        span = (datetime(YEARS[-1] + 1, 1, 1, tzinfo=UTC) - first).total_seconds()
        sessions, visits, bookings, tallies = [], [], [], []
        regulars = list(range(1, PARTICIPANTS // 6 + 1))
        for number in range(1, SESSIONS + 1):
            activity = (number - 1) % len(ACTIVITIES) + 1
            starts = first + timedelta(seconds=span * (number - 1) / SESSIONS)
            cancelled = rng.random() < 0.03
            sessions.append(
                {
                    "id": number,
                    "activity_id": activity,
                    "uid": f"bench-{number}@havehus",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "status": "cancelled" if cancelled else "scheduled",
                    "note": {},
                    "created_at": made,
                    "updated_at": made,
                }
            )
            if cancelled:
                continue
            came: set[int] = set()
            while len(came) < VISITS_PER_SESSION:  # regulars come often, others now and then
                pool = regulars if rng.random() < 0.6 else range(1, PARTICIPANTS + 1)
                came.add(rng.choice(pool))
            dinner = ACTIVITIES[activity - 1][2] == "signup"
            for person in sorted(came):
                booking_id = None
                if dinner:
                    booking_id = len(bookings) + 1
                    bookings.append(_booking(booking_id, person, number, "attended", starts))
                visits.append(
                    {
                        "session_id": number,
                        "participant_id": person,
                        "booking_id": booking_id,
                        "source": "host",
                        "at": starts,
                    }
                )
            if dinner:
                absent = rng.sample(sorted(set(range(1, PARTICIPANTS + 1)) - came), 3)
                for person in absent:
                    bookings.append(_booking(len(bookings) + 1, person, number, "no_show", starts))
            else:
                for kind, count in (("adults", rng.randint(0, 8)), ("children", 2)):
                    tallies.append(
                        {"session_id": number, "kind": kind, "count": count, "updated_at": starts}
                    )
        orm.execute(insert(Session), sessions)
        for table, rows in ((Booking, bookings), (Visit, visits), (Tally, tallies)):
            for start in range(0, len(rows), 10_000):
                orm.execute(insert(table), rows[start : start + 10_000])
        orm.commit()
        with db.engine.begin() as connection:  # planner statistics, as a live database has
            connection.execute(text("ANALYZE"))
        return {
            "sessions": len(sessions),
            "visits": len(visits),
            "participants": len(people),
            "bookings": len(bookings),
        }


def _booking(
    booking_id: int, person: int, session: int, status: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": booking_id,
        "participant_id": person,
        "session_id": session,
        "status": status,
        "source": "web",
        "created_at": at - timedelta(days=3),
        "updated_at": at,
    }


BASELINE = text(
    """
    SELECT p.department_id, p.outside_area,
           COUNT(*) AS visits, COUNT(DISTINCT v.participant_id) AS people
    FROM visit v
    JOIN session s ON s.id = v.session_id
    JOIN participant p ON p.id = v.participant_id
    WHERE s.starts_at >= :start AND s.starts_at < :end
    GROUP BY p.department_id, p.outside_area
    """
)


def _bounds() -> tuple[datetime, datetime]:
    start = datetime(YEAR, 1, 1, tzinfo=TZ).astimezone(UTC)
    end = datetime(YEAR + 1, 1, 1, tzinfo=TZ).astimezone(UTC)
    return start, end


def _baseline() -> list[Any]:
    start, end = _bounds()
    # The stored form of a UTC instant (naive UTC), as UTCDateTime binds it.
    return list(
        db.session.execute(
            BASELINE, {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
        ).all()
    )


def _report(by: str | None) -> Callable[[], list[Row]]:
    def run() -> list[Row]:
        return report(
            db.session,
            date(YEAR, 1, 1),
            date(YEAR, 12, 31),
            TZ,
            NOW,
            by=by,  # type: ignore[arg-type]
        )

    return run


def _check_same_counts() -> None:
    """The baseline counts what the report counts: named visits and people per department."""
    names = {n: f"Afd. {n:02d}" for n in range(1, DEPARTMENTS + 1)}
    grouped: dict[str, tuple[int, int]] = {}
    for department, outside, visits, people in _baseline():
        group = OUTSIDE if outside else names.get(department, UNKNOWN)
        grouped[group] = (visits, people)
    rows = {row.group: row for row in _report("department")()}
    for group, (visits, people) in grouped.items():
        row = rows[group]
        named = row.visits - (row.anonymous_visits or 0)
        assert (named, row.unique_participants) == (visits, people), (group, row)
    total = rows[TOTAL]
    named_total = sum(visits for visits, _people in grouped.values())
    assert total.visits - (total.anonymous_visits or 0) == named_total


def _statements(run: Callable[[], object]) -> int:
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


def _mean_seconds(run: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    return (time.perf_counter() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per round and measure")
    parser.add_argument("--database-url", help="an empty database (default: throw-away SQLite)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of (b) to FILE")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="havehus-bench-reports-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'reports.db'}"
        os.environ.setdefault("HAVEHUS_INSTANCE_PATH", str(Path(folder) / "instance"))
        app = create_app({"database_url": url})
        started = time.perf_counter()
        sizes = _seed(app)
        seeded = time.perf_counter() - started
        print(
            f"Seeded {sizes['sessions']} sessions, {sizes['visits']} visits, "
            f"{sizes['participants']} participants, {sizes['bookings']} bookings "
            f"in {seeded:.1f} s ({url.split(':')[0]})."
        )
        with app.app_context():
            _check_same_counts()
            measures = {
                "baseline": _baseline,
                "(a) total": _report(None),
                "(b) by department": _report("department"),
            }
            for run in measures.values():  # warm up caches and compiled statements
                run()
            results: dict[str, list[float]] = {name: [] for name in measures}
            for _ in range(args.rounds):
                for name, run in measures.items():
                    results[name].append(_mean_seconds(run, args.repeat))
            statements = {name: _statements(run) for name, run in measures.items()}
            if args.profile:
                import cProfile

                cProfile.runctx("run()", {"run": measures["(b) by department"]}, {}, args.profile)
            db.session.remove()
            db.engine.dispose()

    base = statistics.median(results["baseline"])
    print()
    print("| figure | median | ratio to baseline | SQL statements | target |")
    print("|---|---|---|---|---|")
    print(f"| baseline: one GROUP BY | {base * 1000:.1f} ms | 1 | {statements['baseline']} | |")
    ok = True
    for name in ("(a) total", "(b) by department"):
        median = statistics.median(results[name])
        ratio = median / base
        ok = ok and ratio <= TARGET
        print(
            f"| {name} | {median * 1000:.1f} ms | {ratio:.2f} | {statements[name]} | ≤ {TARGET:g} |"
        )
    print()
    print("within target" if ok else "TARGET MISSED")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
