"""Benchmark the outbox: N due reminders sent by two worker processes through a fake Twilio.

Reports duplicates (must be 0), lost texts (must be 0), the workers' throughput, and its ratio
to the fake server's own raw request rate measured in the same run by a plain client (two
processes posting the same form with `requests`) — target >= 0.5.

The fake Twilio runs in its own process (a ThreadingHTTPServer speaking HTTP/1.1 keep-alive),
so it is not the bottleneck of the workers' GIL. The workers are real `havehus worker --once
--at …` processes with HAVEHUS_SMS_BACKEND=twilio and HAVEHUS_TWILIO_API_BASE pointing at it.
Throughput is counted from the fake's first to its last create request (the workers' start-up
imports are not sending); the wall time including start-up is printed too.

Run with `make bench` or `.venv/bin/python bench/messaging.py [--texts N] [--database-url URL]`.
Everything stays on 127.0.0.1 and every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token"
FROM = "+4570700000"
CREATE_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
#: The instant the workers act at: every text is due then.
AT = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
BOOKINGS_PER_SESSION = 500


# ---------------------------------------------------------------- the fake Twilio (own process)
class _FakeTwilio(BaseHTTPRequestHandler):
    """POST Messages.json → 201 with Twilio's JSON; GET /_stats; POST /_reset."""

    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without this, Nagle and delayed ACKs stall each one.
    disable_nagle_algorithm = True
    lock = threading.Lock()
    texts: dict[str, int] = {}
    stamps: list[float] = []
    sids = 0

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (quiet)
        return

    def _answer(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        with self.lock:
            stats = {
                "requests": len(self.stamps),
                "first": min(self.stamps, default=0.0),
                "last": max(self.stamps, default=0.0),
                "texts": dict(self.texts),
            }
        self._answer(200, stats)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/_reset":
            with self.lock:
                type(self).texts = {}
                type(self).stamps = []
            self._answer(200, {})
            return
        if self.path != CREATE_PATH:
            self._answer(404, {"code": 20404, "status": 404, "message": "not found"})
            return
        with self.lock:
            type(self).sids += 1
            sid = f"SM{self.sids:032x}"
            to = form.get("To", "")
            self.texts[to] = self.texts.get(to, 0) + 1
            self.stamps.append(time.perf_counter())
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        self._answer(
            201,
            {
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": form.get("Body", ""),
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": f"{CREATE_PATH[:-5]}/{sid}/Media.json"},
                "to": to,
                "uri": f"{CREATE_PATH[:-5]}/{sid}.json",
            },
        )


def serve_fake(port_file: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeTwilio)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_port))
    server.serve_forever()


# ---------------------------------------------------------------- the raw client (baseline)
def raw_client(base: str, count: int, offset: int) -> None:
    """POST `count` texts as plainly as possible; print first and last perf_counter stamps."""
    import requests

    session = requests.Session()
    session.auth = (ACCOUNT_SID, AUTH_TOKEN)
    start = time.perf_counter()
    for n in range(count):
        response = session.post(
            base + CREATE_PATH,
            data={
                "To": f"+4539{offset + n:06d}",
                "From": FROM,
                "Body": "Reminder: Cooking together, Thursday 17:00.",
                "StatusCallback": "https://havehus.example/sms/status",
                "ValidityPeriod": "10800",
            },
            timeout=10,
        )
        if response.status_code != 201:
            raise SystemExit(f"raw client: HTTP {response.status_code}")
        response.json()
    print(json.dumps({"start": start, "end": time.perf_counter(), "count": count}))


# ---------------------------------------------------------------- seeding
def seed(database_url: str, texts: int) -> list[str]:
    """`texts` confirmed bookings, each with its reminder due at AT in the outbox."""
    from sqlalchemy import insert, select

    from havehus import create_app
    from havehus.extensions import db
    from havehus.models import Activity, Booking, OutboundMessage, Participant, Session

    app = create_app({"database_url": database_url})
    phones = [f"+4520{n:06d}" for n in range(texts)]
    with app.app_context():
        db.create_all()
        activity = Activity(
            slug="bench",
            title={"da": "Sammen om maden", "en": "Cooking together"},
            summary={},
            category="food",
            mode="signup",
            capacity=BOOKINGS_PER_SESSION,
            rrule=None,
            starts_on=date(2026, 12, 3),
            start_time=clock_time(17, 0),
            duration_minutes=120,
            reminder_offsets=[],  # the outbox rows below are the reminders
            created_at=AT - timedelta(days=30),
            updated_at=AT - timedelta(days=30),
        )
        db.session.add(activity)
        sessions = []
        starts = AT + timedelta(hours=3)
        for n in range((texts + BOOKINGS_PER_SESSION - 1) // BOOKINGS_PER_SESSION):
            session = Session(
                activity=activity,
                uid=f"bench-{n}@havehus",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                created_at=AT - timedelta(days=30),
                updated_at=AT - timedelta(days=30),
            )
            db.session.add(session)
            sessions.append(session)
        db.session.flush()
        joined = AT - timedelta(days=30)
        db.session.execute(
            insert(Participant),
            [
                dict(
                    public_id=f"p{n}",
                    display_name=f"P{n}",
                    phone=p,
                    language="da",
                    created_at=joined,
                )  # fmt: skip
                for n, p in enumerate(phones)
            ],
        )
        people = dict(db.session.execute(select(Participant.phone, Participant.id)).all())
        db.session.execute(
            insert(Booking),
            [
                dict(
                    participant_id=people[p],
                    session_id=sessions[n // BOOKINGS_PER_SESSION].id,
                    status="confirmed",
                    source="staff",
                    created_at=joined,
                    updated_at=joined,
                )  # fmt: skip
                for n, p in enumerate(phones)
            ],
        )
        bookings = dict(db.session.execute(select(Booking.participant_id, Booking)).all())
        rows = []
        for n, phone in enumerate(phones):
            booking = bookings[people[phone]]
            session = sessions[n // BOOKINGS_PER_SESSION]
            rows.append(
                dict(
                    to_phone=phone,
                    participant_id=people[phone],
                    language="da",
                    body=f"Påmindelse: Sammen om maden torsdag kl. 17. Kan du ikke? ({n})",
                    kind="reminder",
                    booking_id=booking.id,
                    session_id=session.id,
                    dedupe_key=f"reminder:{booking.id}:{session.id}:180",
                    send_after=AT,
                    expires_at=session.starts_at,
                    status="pending",
                    attempts=0,
                    created_at=AT - timedelta(minutes=1),
                )
            )
        db.session.execute(insert(OutboundMessage), rows)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return phones


# ---------------------------------------------------------------- the run


def outbox_states(database_url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from havehus import create_app
    from havehus.extensions import db
    from havehus.models import OutboundMessage

    app = create_app({"database_url": database_url})
    with app.app_context():
        states = dict(
            db.session.execute(
                select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
            ).all()
        )
        db.engine.dispose()
    return states


def _get(base: str, path: str) -> dict:
    import requests

    return requests.get(base + path, timeout=10).json()


def _raw_rate(base: str, count: int) -> float:
    """Requests per second of two plain client processes posting `count` texts between them."""
    half = count // 2
    clients = [
        subprocess.Popen(
            [sys.executable, __file__, "--raw-client", base, str(half), str(n * half)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (0, 1)
    ]
    results = [json.loads(c.communicate(timeout=600)[0]) for c in clients]
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    return 2 * half / span


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000, help="due reminders to send")
    parser.add_argument("--database-url", help="default: a throw-away SQLite file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--verbose", action="store_true", help="print the workers' output")
    parser.add_argument(
        "--profile", metavar="DIR", help="run the workers under cProfile, writing DIR/worker-N.prof"
    )
    parser.add_argument("--raw-client", nargs=3, metavar=("BASE", "COUNT", "OFFSET"))
    parser.add_argument("--fake-server", metavar="PORT_FILE")
    args = parser.parse_args()
    if args.fake_server:
        serve_fake(args.fake_server)
        return 0
    if args.raw_client:
        raw_client(args.raw_client[0], int(args.raw_client[1]), int(args.raw_client[2]))
        return 0

    texts = max(100, min(args.texts, 100_000))
    workdir = Path(tempfile.mkdtemp(prefix="havehus-bench-messaging-"))
    os.environ["HAVEHUS_INSTANCE_PATH"] = str(workdir)
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    port_file = workdir / "fake.port"
    fake = subprocess.Popen([sys.executable, __file__, "--fake-server", str(port_file)])
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        print(f"Seeding {texts} due reminders …", flush=True)
        phones = seed(database_url, texts)

        raw = _raw_rate(base, min(texts, 4000))
        import requests

        requests.post(base + "/_reset", timeout=10)

        config = workdir / "worker.toml"
        config.write_text(
            f'database_url = "{database_url}"\n'
            'sms_backend = "twilio"\n'
            f'twilio_account_sid = "{ACCOUNT_SID}"\n'
            f'twilio_auth_token = "{AUTH_TOKEN}"\n'
            f'twilio_from = "{FROM}"\n'
            f'twilio_api_base = "{base}"\n'
            'public_url = "https://havehus.example"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
        env.update(HAVEHUS_CONFIG=str(config), HAVEHUS_INSTANCE_PATH=str(workdir))
        command = [sys.executable, "-m", "havehus", "worker", "--once", "--at", AT.isoformat()]
        print("Two workers sending …", flush=True)
        started = time.perf_counter()

        def worker_command(number: int) -> list[str]:
            if not args.profile:
                return command
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            out = str(Path(args.profile) / f"worker-{number}.prof")
            return [sys.executable, "-m", "cProfile", "-o", out, *command[1:]]

        workers = [
            subprocess.Popen(
                worker_command(number),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for number in (1, 2)
        ]
        outputs = [w.communicate(timeout=3600)[0] for w in workers]
        wall = time.perf_counter() - started
        if args.verbose or any(w.returncode for w in workers):
            print("\n".join(outputs))
        if any(w.returncode for w in workers):
            return 1
        stats = _get(base, "/_stats")
    finally:
        fake.terminate()
        fake.wait(10)

    received: dict[str, int] = stats["texts"]
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    lost = sum(1 for phone in phones if phone not in received)
    span = stats["last"] - stats["first"]
    rate = stats["requests"] / span if span > 0 else float("inf")
    ratio = rate / raw
    states = outbox_states(database_url)
    per_worker = [
        line.split("sent=")[1].split(",")[0]
        for out in outputs
        for line in out.splitlines()
        if line.startswith("send_due_messages:")
    ]
    ok = duplicates == 0 and lost == 0 and ratio >= 0.5
    print()
    print(f"| figure | value | target |")  # noqa: F541
    print("|---|---|---|")
    print(f"| texts due | {texts} | |")
    print(f"| sent per worker | {' + '.join(per_worker)} | |")
    print(
        f"| outbox states | {', '.join(f'{k}={v}' for k, v in sorted(states.items()))} | all sent |"
    )
    print(f"| duplicates | {duplicates} | 0 |")
    print(f"| lost | {lost} | 0 |")
    print(f"| workers' throughput | {rate:.0f} texts/s | |")
    print(f"| fake server, raw (2 plain clients) | {raw:.0f} requests/s | |")
    print(f"| ratio | {ratio:.2f} | ≥ 0.5 |")
    print(f"| wall time incl. start-up | {wall:.1f} s | |")
    print()
    print("within target" if ok else "TARGET MISSED")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
