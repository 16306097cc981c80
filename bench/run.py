"""The whole performance table of issue #20, against a production-like setup.

The app runs under gunicorn (2 sync workers on 127.0.0.1, production mode) on a throw-away
SQLite database in WAL mode holding the demo house with its program expanded `--weeks` ahead
(or on PostgreSQL with `--db postgresql`, a server this script starts and stops). Beside it, in
the same run, gunicorn serves the two baselines the same way (bench/baselines.py): a bare
Flask "hello" and a Flask-SQLAlchemy page of 40 rows through Jinja. Load comes from `wrk`
(20 connections) when installed, else from a bounded Python client. Each web figure is taken
once per round, all figures interleaved, and the median of the rounds is reported (3 rounds;
`--quick`: 1 round, shorter runs, fewer weeks, fewer texts).

The feeds' cold rebuild, the reminders and the yearly report come from bench/feeds.py,
bench/messaging.py and bench/reports.py, run as they are.

Output: a table on stdout and bench/results/latest.json; the exit status is 1 when a target
is missed. Every request goes to 127.0.0.1, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CONNECTIONS = 20
#: Hard limits on any one load run, whatever the flags say.
MAX_SECONDS = 60.0
MAX_REQUESTS = 200_000


@dataclass(frozen=True)
class Target:
    """What a figure is compared with and the bound it must keep."""

    baseline: str
    sense: str  # ">=": the ratio must be at least `bound`; "<=": at most
    bound: float


#: The names and targets of the issue's table, in its order.
TARGETS: dict[str, Target] = {
    "week_warm": Target("hello", ">=", 0.5),
    "week_cold": Target("40-row page", ">=", 1.0),
    "activity_page": Target("hello", ">=", 0.5),
    "kiosk": Target("hello", ">=", 0.5),
    "ics_304": Target("hello", ">=", 0.8),
    "ics_feed_cached": Target("hello", ">=", 0.5),
    "ics_rebuild": Target("raw icalendar serialization", "<=", 1.3),
    "healthz": Target("hello", ">=", 0.8),
    "signup_post": Target("/healthz", ">=", 0.2),
    "reminders_10k": Target("the fake's raw rate", ">=", 0.5),
    "report_3y": Target("one hand-written GROUP BY", "<=", 5.0),
    "rss_growth": Target("RSS after 200 requests", "<=", 1.2),
}


@dataclass
class Figure:
    value: float
    baseline: float
    ratio: float
    unit: str
    note: str = ""

    def ok(self, target: Target) -> bool:
        if target.sense == ">=":
            return self.ratio >= target.bound
        return self.ratio <= target.bound


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the 2nd field after the command name in parentheses.
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                pids.append(int(entry.name))
        return pids

    def workers_rss_kib(self) -> int:
        total = 0
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(match.group(1)) if match else 0
        return total


@contextmanager
def gunicorn(name: str, app: str, env: dict[str, str], log: Path) -> Iterator[Server]:
    """`app` under gunicorn with 2 sync workers on 127.0.0.1; stopped on leaving."""
    port = _free_port()
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        "2",
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
        app,
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name, port, process)
    try:
        _wait_until_up(server, "/")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_up(server: Server, path: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name}: gunicorn exited with {server.process.returncode}")
        try:
            status, _body, _headers = get(server.port, path)
        except OSError:
            time.sleep(0.2)
            continue
        if status < 500 and len(server.worker_pids()) == 2:
            return
        time.sleep(0.2)
    raise SystemExit(f"{server.name}: not answering on port {server.port}")


def get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: Any = None,
) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, data, {k: v for k, v in response.getheaders()}
    finally:
        connection.close()


# ---------------------------------------------------------------- load


def _wrk() -> str | None:
    return shutil.which("wrk")


def load(port: int, path: str, seconds: float, headers: dict[str, str] | None = None) -> float:
    """Requests per second with CONNECTIONS concurrent clients for `seconds` (bounded)."""
    seconds = min(seconds, MAX_SECONDS)
    wrk = _wrk()
    if wrk:
        command = [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
        ]
        for key, value in (headers or {}).items():
            command += ["-H", f"{key}: {value}"]
        command.append(f"http://{HOST}:{port}{path}")
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if errors:
            raise SystemExit(f"{path}: {errors.group(1)} answers were errors\n{output}")
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        if not match:
            raise SystemExit(f"wrk gave no rate for {path}:\n{output}")
        return float(match.group(1))
    return _python_load(port, path, seconds, headers or {})


def _python_load(port: int, path: str, seconds: float, headers: dict[str, str]) -> float:
    """The fallback client: a few threads, one request per connection, bounded."""
    deadline = time.perf_counter() + seconds
    counts: list[int] = []
    failures: list[int] = []
    per_thread = MAX_REQUESTS // 4

    def client() -> None:
        done = 0
        while done < per_thread and time.perf_counter() < deadline:
            status, _body, _headers = get(port, path, headers)
            if status >= 400:
                failures.append(status)
                return
            done += 1
        counts.append(done)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    if failures:
        raise SystemExit(f"{path}: answered {failures[0]}")
    return sum(counts) / (time.perf_counter() - start)


def sequential_seconds(
    port: int, path: str, count: int, before: Callable[[], None] | None = None
) -> float:
    """The median time of one GET, one at a time (each after `before`, untimed)."""
    times = []
    for _ in range(count):
        if before is not None:
            before()
        start = time.perf_counter()
        status, _body, _headers = get(port, path)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise SystemExit(f"{path}: answered {status}")
    return statistics.median(times)


def burst(port: int, calls: list[Callable[[], int]]) -> tuple[float, list[int]]:
    """All calls at once, one thread each; (calls per second, their statuses)."""
    statuses: list[int] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> None:
        gate.wait(timeout=30)
        status = call()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return len(calls) / (time.perf_counter() - start), statuses


# ---------------------------------------------------------------- the house


@dataclass
class House:
    database_url: str
    env: dict[str, str]
    token: str
    sqlite_path: Path | None
    signup_sessions: list[int]
    session_paths: list[str]


def _havehus(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(BIN / "havehus"), *args],
        env={**os.environ, **env},
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise SystemExit(f"havehus {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_house(workdir: Path, database_url: str, weeks: int, signup_rounds: int) -> House:
    """Migrate, seed the demo with `weeks` of program, add 20-seat sessions for the sign-up
    figure, make an API token; return what the servers need."""
    env = {
        "HAVEHUS_ENV": "production",
        "HAVEHUS_SECRET_KEY": secrets.token_hex(32),
        "HAVEHUS_DATABASE_URL": database_url,
        "HAVEHUS_INSTANCE_PATH": str(workdir / "instance"),
        "HAVEHUS_PUBLIC_URL": f"http://{HOST}",
        "HAVEHUS_SMS_BACKEND": "twilio",
        "HAVEHUS_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "HAVEHUS_TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "HAVEHUS_TWILIO_FROM": "+4512345678",
        # No text leaves: the gateway is a closed local port (nothing is sent by the web anyway).
        "HAVEHUS_TWILIO_API_BASE": f"http://{HOST}:9",
        "HAVEHUS_HORIZON_WEEKS": str(weeks),
        "HAVEHUS_API_TOKEN_REQUESTS_PER_MINUTE": "1000000",
        "HAVEHUS_API_PUBLIC_REQUESTS_PER_MINUTE": "1000000",
    }
    _havehus(env, "db", "upgrade")
    _havehus(env, "demo")
    token = _havehus(env, "create-token", "--name", "bench", "--role", "manager").strip()
    sessions, paths = _signup_sessions(env, signup_rounds + 1)  # the first warms the workers
    sqlite_path = (
        Path(database_url.removeprefix("sqlite:///")) if "sqlite" in database_url else None
    )
    return House(database_url, env, token, sqlite_path, sessions, paths)


def _signup_sessions(env: dict[str, str], rounds: int) -> tuple[list[int], list[str]]:
    """A 20-seat activity without a waiting list, one session per round; and the public
    session pages of the program (for the memory figure)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        from sqlalchemy import select

        from havehus import create_app
        from havehus.extensions import db
        from havehus.models import Activity, Session
        from havehus.program.services import bump_program_version

        app = create_app()
        now = datetime.now(UTC)
        with app.app_context():
            activity = db.session.scalar(select(Activity).where(Activity.slug == "bench-signup"))
            if activity is None:
                template = db.session.scalar(select(Activity).where(Activity.mode == "signup"))
                assert template is not None, "the demo has a sign-up activity"
                activity = Activity(
                    slug="bench-signup",
                    title={"da": "Bænkprøve", "en": "Bench trial"},
                    category=template.category,
                    mode="signup",
                    capacity=20,
                    waitlist_enabled=False,
                    visibility="public",
                    starts_on=(now + timedelta(days=2)).date(),
                    start_time=template.start_time,
                    duration_minutes=60,
                    created_at=now,
                    updated_at=now,
                )
                db.session.add(activity)
                db.session.flush()
            ids = []
            for number in range(rounds):
                starts = now + timedelta(days=3, hours=number)
                session = Session(
                    activity_id=activity.id,
                    uid=f"bench-{secrets.token_hex(8)}@havehus",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    capacity=20,
                    created_at=now,
                    updated_at=now,
                )
                db.session.add(session)
                db.session.flush()
                ids.append(session.id)
            bump_program_version(db.session, now)
            db.session.commit()
            public = db.session.scalars(
                select(Session.id)
                .join(Session.activity)
                .where(Activity.visibility == "public", Session.starts_at > now)
                .order_by(Session.starts_at)
                .limit(300)
            ).all()
            db.engine.dispose()
        return ids, [f"/sessions/{sid}" for sid in public]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def bump_program(house: House) -> None:
    """What a planner's change does to the caches: the program version moves."""
    if house.sqlite_path is not None:
        with sqlite3.connect(house.sqlite_path, timeout=30) as connection:
            connection.execute("UPDATE program_version SET version = version + 1 WHERE id = 1")
        return
    import psycopg

    url = house.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        connection.execute("UPDATE program_version SET version = version + 1 WHERE id = 1")


# ---------------------------------------------------------------- the figures


def web_figures(
    app: Server, hello: Server, rows: Server, house: House, seconds: float, rounds: int
) -> dict[str, Figure]:
    """The req/s figures, interleaved round by round; medians."""
    _status, _body, headers = get(app.port, "/calendar.ics")
    feed_etag = headers["ETag"]
    slug = "sammen-om-maden"
    plan: dict[str, tuple[Server, str, dict[str, str]]] = {
        "hello": (hello, "/", {}),
        "rows": (rows, "/", {}),
        "week_da": (app, "/", {}),
        "week_ar": (app, "/?lang=ar", {}),
        "activity_page": (app, f"/activities/{slug}", {}),
        "kiosk": (app, "/kiosk", {}),
        "ics_304": (app, "/calendar.ics", {"If-None-Match": feed_etag}),
        "ics_feed_cached": (app, "/calendar.ics", {}),
        "healthz": (app, "/healthz", {}),
    }
    for server, path, extra in plan.values():  # warm: each worker renders once
        for _ in range(4):
            get(server.port, path, extra)
    rates: dict[str, list[float]] = {name: [] for name in plan}
    for number in range(rounds):
        for name, (server, path, extra) in plan.items():
            rates[name].append(load(server.port, path, seconds, extra))
            print(f"  round {number + 1}: {name:<16} {rates[name][-1]:8.0f} req/s", flush=True)
    median = {name: statistics.median(values) for name, values in rates.items()}
    hello_rate = median["hello"]
    week = min(median["week_da"], median["week_ar"])  # both must keep the target
    figures = {
        "week_warm": Figure(
            week, hello_rate, week / hello_rate, "req/s",
            f"da {median['week_da']:.0f}, ar {median['week_ar']:.0f} (the lower counts)",
        ),
    }  # fmt: skip
    for name in ("activity_page", "kiosk", "ics_304", "ics_feed_cached", "healthz"):
        figures[name] = Figure(median[name], hello_rate, median[name] / hello_rate, "req/s")
    figures["_rows"] = Figure(median["rows"], hello_rate, median["rows"] / hello_rate, "req/s")
    return figures


def cold_figure(app: Server, rows: Server, house: House, count: int, rounds: int) -> Figure:
    """The week page right after a program change, against the 40-row page, one at a time."""
    cold, page = [], []
    for _ in range(rounds):
        cold.append(sequential_seconds(app.port, "/", count, lambda: bump_program(house)))
        page.append(sequential_seconds(rows.port, "/", count))
    cold_rate, rows_rate = 1 / statistics.median(cold), 1 / statistics.median(page)
    return Figure(cold_rate, rows_rate, cold_rate / rows_rate, "req/s", "sequential, one client")


def signup_figure(app: Server, house: House, healthz_rounds: int) -> Figure:
    """50 clients at once on each 20-seat session through the booking API; against /healthz
    hit by 50 clients at once the same way. The first session's burst, and one of /healthz,
    warm the workers (as each web figure's first requests do) and are not counted."""
    auth = {"Authorization": f"Bearer {house.token}"}
    rates, health = [], []
    for number, session_id in enumerate(house.signup_sessions):

        def post(index: int, sid: int = session_id, n: int = number) -> int:
            body = {"name": f"Bench {n}-{index}"}
            return get(app.port, f"/api/v1/sessions/{sid}/bookings", auth, "POST", body)[0]

        rate, statuses = burst(app.port, [partial(post, i) for i in range(50)])
        confirmed = statuses.count(201)
        if confirmed != 20 or statuses.count(409) != 30:
            raise SystemExit(f"sign-up burst: {confirmed} booked, statuses {sorted(statuses)}")
        rates.append(rate)
    for _ in range(max(healthz_rounds, 1) + 1):
        rate, statuses = burst(app.port, [lambda: get(app.port, "/healthz")[0] for _ in range(50)])
        health.append(rate)
    rates, health = rates[1:], health[1:]  # the warm-up bursts
    counts = _confirmed_counts(house)
    wrong = {sid: n for sid, n in counts.items() if n != 20}
    if wrong:
        raise SystemExit(f"sign-up: sessions without exactly 20 confirmed: {wrong}")
    value, base = statistics.median(rates), statistics.median(health)
    return Figure(value, base, value / base, "req/s", "each session ends with exactly 20 confirmed")


def _confirmed_counts(house: House) -> dict[int, int]:
    ids = ",".join(str(sid) for sid in house.signup_sessions)
    query = (
        "SELECT session_id, count(*) FROM booking WHERE status = 'confirmed' "
        f"AND session_id IN ({ids}) GROUP BY session_id"
    )
    if house.sqlite_path is not None:
        with sqlite3.connect(house.sqlite_path, timeout=30) as connection:
            rows = connection.execute(query).fetchall()
    else:
        import psycopg

        url = house.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as connection:
            rows = connection.execute(query).fetchall()
    found = {int(sid): int(count) for sid, count in rows}
    return {sid: found.get(sid, 0) for sid in house.signup_sessions}


def rss_figure(house: House, log: Path, total: int, seconds_cap: float) -> Figure:
    """A fresh app server: its workers' memory after 200 requests and after `total`, over
    the public pages (every session page of the program, so the page cache fills up)."""
    paths = ["/", "/?lang=ar", "/kiosk", "/activities/sammen-om-maden", "/calendar.ics", "/healthz"]
    paths += house.session_paths
    with gunicorn("app (memory)", "havehus:create_app()", house.env, log) as server:
        for number in range(200):
            get(server.port, paths[number % len(paths)])
        early = server.workers_rss_kib()
        sent = 200
        deadline = time.monotonic() + seconds_cap
        while sent < total and time.monotonic() < deadline:
            for path in paths:
                get(server.port, path)
                sent += 1
            if _wrk():
                # The bulk from wrk: a few seconds per address.
                for path in paths[:6]:
                    rate = load(server.port, path, 2)
                    sent += int(rate * 2)
        late = server.workers_rss_kib()
    return Figure(
        late / 1024, early / 1024, late / early, "MiB", f"{sent} requests, both workers' RSS"
    )


def _script(args: list[str], timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise SystemExit(f"no {pattern!r} in:\n{text}")
    return float(match.group(1))


def rebuild_figure(rounds: int) -> Figure:
    """bench/feeds.py's (c): a cold feed rebuild of 500 sessions against icalendar alone."""
    out = _script(["bench/feeds.py", "--requests", "50", "--rounds", str(rounds)], 600)
    rebuild = _number(r"^\s+rebuild\s+([\d.]+) ms", out)
    direct = _number(r"^\s+direct\s+([\d.]+) ms", out)
    return Figure(rebuild, direct, rebuild / direct, "ms", "500 sessions")


def reminders_figure(texts: int, database_url: str | None) -> Figure:
    """bench/messaging.py: two workers sending due reminders to a fake Twilio."""
    args = ["bench/messaging.py", "--texts", str(texts)]
    if database_url:
        args += ["--database-url", database_url]
    out = _script(args, 1800)
    duplicates = int(_number(r"^\| duplicates \| (\d+) \|", out))
    lost = int(_number(r"^\| lost \| (\d+) \|", out))
    rate = _number(r"^\| workers' throughput \| ([\d.]+) texts/s", out)
    raw = _number(r"^\| fake server, raw \(2 plain clients\) \| ([\d.]+) requests/s", out)
    ratio = rate / raw
    if duplicates or lost:
        ratio = 0.0  # a duplicate or a lost text misses the target whatever the speed
    note = f"{texts} texts, {duplicates} duplicates, {lost} lost"
    return Figure(rate, raw, ratio, "texts/s", note)


def report_figure(rounds: int, database_url: str | None) -> Figure:
    """bench/reports.py's (a): the yearly report on three years against one GROUP BY."""
    args = ["bench/reports.py", "--rounds", str(rounds), "--repeat", "1"]
    if database_url:
        args += ["--database-url", database_url]
    out = _script(args, 1800)
    base = _number(r"^\| baseline: one GROUP BY \| ([\d.]+) ms", out)
    value = _number(r"^\| \(a\) total \| ([\d.]+) ms", out)
    return Figure(value, base, value / base, "ms", "3 years of history")


# ---------------------------------------------------------------- the run


@contextmanager
def postgres(workdir: Path) -> Iterator[Callable[[str], str]]:
    """A throw-away PostgreSQL server (tests/pgserver.py); yields a maker of empty databases."""
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import PostgresServer

    server = PostgresServer()  # its own folder, one the postgres user may enter
    server.start()
    try:
        yield server.create_database
    finally:
        server.stop()


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    found = {"python": platform.python_version()}
    for package in ("flask", "sqlalchemy", "jinja2", "gunicorn", "werkzeug"):
        found[package] = version(package)
    wrk = _wrk()
    if wrk:
        found["wrk"] = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
        found["wrk"] = found["wrk"].split("[")[0].strip() or "installed"
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, short runs, small data")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--weeks", type=int, help="weeks of program to expand (26; quick 8)")
    parser.add_argument("--seconds", type=float, help="seconds per load run (10; quick 3)")
    parser.add_argument("--rounds", type=int, help="rounds per figure, median (3; quick 1)")
    parser.add_argument("--texts", type=int, help="due reminders (10,000; quick 2,000)")
    parser.add_argument(
        "--only", help="comma-separated figure names to run (the rest are left out)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    weeks = max(1, min(args.weeks or (8 if quick else 26), 104))
    seconds = max(1.0, min(args.seconds or (3.0 if quick else 10.0), MAX_SECONDS))
    rounds = max(1, min(args.rounds or (1 if quick else 3), 9))
    texts = max(100, min(args.texts or (2000 if quick else 10_000), 50_000))
    only = set(args.only.split(",")) if args.only else set(TARGETS)
    started = time.monotonic()

    workdir = Path(tempfile.mkdtemp(prefix="havehus-bench-"))
    log = workdir / "servers.log"
    figures: dict[str, Figure] = {}
    databases = nullcontext(None) if args.db == "sqlite" else postgres(workdir)
    with databases as make_db:
        if make_db is None:
            url = f"sqlite:///{workdir / 'havehus.db'}"
            extra_url = None
        else:
            url = make_db("havehus_bench")
            extra_url = make_db("havehus_bench_extra")
        print(f"Preparing the demo house ({weeks} weeks, {args.db}) …", flush=True)
        house = prepare_house(workdir, url, weeks, signup_rounds=2 if quick else 5)
        from bench.baselines import seed_rows

        seed_rows(url)
        rows_env = {"BENCH_ROWS_DATABASE_URL": url}
        with (
            gunicorn("app", "havehus:create_app()", house.env, log) as app,
            gunicorn("hello", "bench.baselines:hello", {}, log) as hello,
            gunicorn("rows", "bench.baselines:make_rows()", rows_env, log) as rows,
        ):
            client = "wrk" if _wrk() else "a bounded Python client"
            print(f"Serving; load from {client}, {seconds:g} s per run, {rounds} round(s).")
            web = web_figures(app, hello, rows, house, seconds, rounds)
            figures.update({k: v for k, v in web.items() if k in only or k == "_rows"})
            if "week_cold" in only:
                figures["week_cold"] = cold_figure(app, rows, house, 10 if quick else 30, rounds)
            if "signup_post" in only:
                figures["signup_post"] = signup_figure(app, house, rounds)
        if "rss_growth" in only:
            figures["rss_growth"] = rss_figure(house, log, 20_000, 60 if quick else 240)
        if "ics_rebuild" in only:
            figures["ics_rebuild"] = rebuild_figure(3 if quick else 7)
        if "reminders_10k" in only:
            figures["reminders_10k"] = reminders_figure(texts, extra_url)
        if "report_3y" in only:
            report_url = make_db("havehus_bench_report") if make_db else None
            figures["report_3y"] = report_figure(3 if quick else 7, report_url)

    return _report(figures, args, weeks, seconds, rounds, time.monotonic() - started)


def _report(
    figures: dict[str, Figure],
    args: argparse.Namespace,
    weeks: int,
    seconds: float,
    rounds: int,
    took: float,
) -> int:
    rows_page = figures.pop("_rows", None)
    result: dict[str, Any] = {}
    missed = []
    print()
    print("| name | value | baseline | ratio | target | ok | note |")
    print("|---|---|---|---|---|---|---|")
    for name, target in TARGETS.items():
        figure = figures.get(name)
        if figure is None:
            continue
        ok = figure.ok(target)
        if not ok:
            missed.append(name)
        result[name] = {
            "value": round(figure.value, 2),
            "baseline": round(figure.baseline, 2),
            "ratio": round(figure.ratio, 3),
            "target": target.bound,
            "ok": ok,
            "sense": target.sense,
            "baseline_is": target.baseline,
            "unit": figure.unit,
            "note": figure.note,
        }
        print(
            f"| {name} | {figure.value:,.1f} {figure.unit} | {figure.baseline:,.1f} | "
            f"{figure.ratio:.2f} | {target.sense} {target.bound:g} × {target.baseline} | "
            f"{'ok' if ok else 'MISSED'} | {figure.note} |"
        )
    if rows_page is not None:
        print(f"\n40-row page: {rows_page.value:,.0f} req/s ({rows_page.ratio:.2f} × hello)")
    result["_meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": _versions(),
        "database": args.db,
        "quick": bool(args.quick),
        "weeks": weeks,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "connections": CONNECTIONS,
        "load_client": "wrk" if _wrk() else "python",
        "took_seconds": round(took, 1),
        "rows_page_rps": round(rows_page.value, 1) if rows_page else None,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWritten to {RESULTS.relative_to(ROOT)} in {took:.0f} s.")
    if missed:
        print("TARGET MISSED: " + ", ".join(missed))
        return 1
    print("every target met")
    return 0
