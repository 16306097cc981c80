"""Every row of docs/messaging-kill-points.md: a worker killed mid-send loses and repeats nothing.

Real `havehus worker --once --at …` processes (forked from a server that imported havehus once:
tests/messaging/worker_processes.py), a real database file, the real twilio SDK against the
fake Twilio server. The rows of one kill point share a database: their killed workers run one
after another, a second apart (each finds only its own text due), and one healthy worker then
recovers them all. The kill points run side by side.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from havehus.config import DEFAULT_SECRET_KEY
from havehus.extensions import db
from havehus.messaging import optout_log
from havehus.messaging.outbox import RECONCILE_AFTER
from havehus.models import OptOut, OutboundMessage, Participant
from havehus.security import keyed_hash
from tests.conftest import build_app
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio
from tests.messaging.worker_processes import Worker, WorkerServer

TABLE = Path(__file__).resolve().parents[2] / "docs" / "messaging-kill-points.md"
#: The killed workers act at this instant (and a second apart after it).
T0 = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
LEASE = 300
#: The workers' read timeout; the fake answers a "timeout" request only after it.
READ_TIMEOUT = 1.0
#: The read timeout of a worker killed while Twilio holds its answer: long enough that the kill,
#: not the timeout, ends it on a loaded machine under libfaketime (with 1 s it once timed out
#: first and finished cleanly).
HELD_READ_TIMEOUT = 30.0
#: The healthy worker first runs when every lease has run out and is old enough to look up;
#: then, while a text is still pending or unknown, again this much later.
RECOVERY_STEP = timedelta(hours=2)
PROCESS_TIMEOUT = 120
#: PostgreSQL runs these kill points × answers (SQLite runs every row).
POSTGRES_POINTS = ("after-request-sent", "before-commit")
POSTGRES_ANSWERS = ("201", "500")


@dataclass(frozen=True)
class Row:
    point: str
    answer: str
    state: str
    texts: int
    requests: int
    number: str


def table_rows() -> list[Row]:
    """The rows of the committed table (the one whose header starts with "kill point")."""
    rows, in_table = [], False
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if cells[0] == "kill point":
            in_table = True
            continue
        if not in_table or set(cells[0]) <= {"-"}:
            continue
        if not line.startswith("|"):
            break
        point, answer, state, texts, requests, number = cells[:6]
        rows.append(Row(point, answer, state, int(texts), int(requests), number))
    return rows


ROWS = table_rows()


def test_the_table_covers_every_kill_point_and_answer() -> None:
    points = ("after-claim", "after-request-sent", "after-answer", "before-commit")
    answers = ("201", "500", "timeout", "21211", "21610")
    assert sorted((r.point, r.answer) for r in ROWS) == sorted(
        (p, a) for p in points for a in answers
    )
    # The promise itself: never two texts, and none lost (sent, or refused and recorded).
    assert all(r.texts <= 1 for r in ROWS)
    assert all((r.state, r.texts) in (("sent", 1), ("failed", 0)) for r in ROWS)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    """A threaded fake: a held answer must not stop other workers' requests."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    fake = FakeTwilio(server, slow_seconds=READ_TIMEOUT + 1.0)
    fake.clock = T0
    yield fake
    for held in fake.hold.values():
        held.set()
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def workers() -> Iterator[WorkerServer]:
    with WorkerServer() as server:
        yield server


@dataclass
class Chain:
    """The rows of one kill point, in one database."""

    point: str
    rows: list[Row]
    url: str
    config: Path
    phones: dict[Row, str]
    log: list[str]
    workers: WorkerServer


def _seed(url: str, phones: dict[Row, str], same_instant: bool) -> None:
    app = build_app(url)
    with app.app_context():
        db.create_all()
        for n, (row, phone) in enumerate(phones.items()):
            db.session.add(
                Participant(
                    public_id=f"p-{n}",
                    display_name=f"Person {n}",
                    phone=phone,
                    language="da",
                    created_at=T0 - timedelta(days=30),
                )
            )
            db.session.add(
                OutboundMessage(
                    to_phone=phone,
                    language="da",
                    body=f"Sammen om maden er flyttet til fredag kl. 17 ({row.answer})",
                    kind="change",
                    send_after=T0 if same_instant else T0 + timedelta(seconds=n),
                    expires_at=T0 + timedelta(days=2),
                    created_at=T0 - timedelta(hours=1),
                )
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _config(tmp: Path, url: str, twilio: FakeTwilio) -> Path:
    path = tmp / "worker.toml"
    path.write_text(
        f'database_url = "{url}"\n'
        'sms_backend = "twilio"\n'
        f'twilio_account_sid = "{ACCOUNT_SID}"\n'
        f'twilio_auth_token = "{AUTH_TOKEN}"\n'
        f'twilio_from = "{FROM}"\n'
        f'twilio_api_base = "{twilio.base}"\n'
        f"twilio_timeout = {READ_TIMEOUT}\n"
        f"outbox_lease_seconds = {LEASE}\n"
        'public_url = "https://havehus.example"\n',
        encoding="utf-8",
    )
    return path


def _worker(
    chain: Chain, at: datetime, failpoint: str = "", read_timeout: float = READ_TIMEOUT
) -> Worker:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
    env.update(
        HAVEHUS_CONFIG=str(chain.config),
        HAVEHUS_INSTANCE_PATH=str(chain.config.parent / "instance"),
        HAVEHUS_FAILPOINTS=failpoint,
        HAVEHUS_TWILIO_TIMEOUT=str(read_timeout),
    )
    log = chain.config.parent / f"worker-{len(chain.log)}.log"
    return chain.workers.start(["worker", "--once", "--at", at.isoformat()], env, log)


def _finish(chain: Chain, process: Worker, what: str) -> int:
    code = process.wait(PROCESS_TIMEOUT)
    chain.log.append(f"--- {what}: exit {code}\n{process.output()}")
    return code


def _kill_then_recover(chain: Chain, twilio: FakeTwilio) -> None:
    """Run the killed worker(s), then the healthy one until nothing is pending or unknown."""
    last = T0
    if chain.point == "after-claim":
        # One claim takes every text; the worker dies before any request.
        code = _finish(chain, _worker(chain, T0, "after-claim"), "killed after claim")
        assert code == -signal.SIGKILL, "\n".join(chain.log)
    else:
        for n, row in enumerate(chain.rows):
            last = T0 + timedelta(seconds=n)
            phone = chain.phones[row]
            if chain.point == "after-request-sent":
                arrived = twilio.arrived.setdefault(phone, threading.Event())
                twilio.hold[phone] = threading.Event()
                process = _worker(chain, last, read_timeout=HELD_READ_TIMEOUT)
                assert arrived.wait(PROCESS_TIMEOUT), "the request never reached Twilio"
                process.kill()  # SIGKILL while Twilio holds its answer
                code = _finish(chain, process, f"killed after request ({row.answer})")
                twilio.hold[phone].set()
            else:
                process = _worker(chain, last, chain.point)
                code = _finish(chain, process, f"killed at {chain.point} ({row.answer})")
            assert code == -signal.SIGKILL, "\n".join(chain.log)
    at = last + timedelta(seconds=LEASE) + RECONCILE_AFTER + timedelta(minutes=1)
    for _ in range(3):
        code = _finish(chain, _worker(chain, at), f"healthy worker at {at.isoformat()}")
        assert code == 0, "\n".join(chain.log)
        if not _open_texts(chain.url):
            return
        at += RECOVERY_STEP


def _open_texts(url: str) -> int:
    app = build_app(url)
    with app.app_context():
        count = len(
            db.session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.status.in_(("pending", "claimed", "unknown"))
                )
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    return count


def _outcome(chain: Chain, twilio: FakeTwilio, row: Row) -> Row:
    """What actually happened to the row's text, in the table's terms."""
    phone = chain.phones[row]
    app = build_app(chain.url)
    with app.app_context():
        state = db.session.scalar(
            select(OutboundMessage.status).where(OutboundMessage.to_phone == phone)
        )
        unreachable = db.session.scalar(
            select(Participant.phone_unreachable).where(Participant.phone == phone)
        )
        opted_out = db.session.scalar(
            # The worker ran on the chain's settings: the default key, not the tests' one.
            select(OptOut.id).where(
                OptOut.phone_hash == keyed_hash(DEFAULT_SECRET_KEY, optout_log.PURPOSE, phone)
            )
        )
        db.session.remove()
        db.engine.dispose()
    number = "unreachable" if unreachable else "opted out" if opted_out else "—"
    return Row(
        row.point,
        row.answer,
        str(state),
        twilio.texts_to(phone),
        twilio.requests_to(phone),
        number,
    )


def _run_table(
    rows: list[Row], urls: dict[str, str], tmp: Path, twilio: FakeTwilio, workers: WorkerServer
) -> None:
    chains = []
    for p, point in enumerate(sorted(urls)):
        mine = [r for r in rows if r.point == point]
        phones = {r: f"+452{len(urls)}{p}{a}0001" for a, r in enumerate(mine)}
        for row, phone in phones.items():
            if row.answer != "201":
                twilio.plans[phone] = [row.answer]
        folder = tmp / point
        folder.mkdir()
        _seed(urls[point], phones, same_instant=point == "after-claim")
        config = _config(folder, urls[point], twilio)
        chains.append(Chain(point, mine, urls[point], config, phones, [], workers))
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        for future in [pool.submit(_kill_then_recover, c, twilio) for c in chains]:
            future.result()
    mismatches = [
        f"expected {row}\n     got {actual}"
        for chain in chains
        for row in chain.rows
        if (actual := _outcome(chain, twilio, row)) != row
    ]
    logs = "\n".join(line for chain in chains for line in chain.log)
    assert not mismatches, "\n".join(mismatches) + "\n" + logs[-6000:]


def test_every_row_on_sqlite(tmp_path: Path, twilio: FakeTwilio, workers: WorkerServer) -> None:
    points = sorted({r.point for r in ROWS})
    urls = {p: f"sqlite:///{tmp_path / f'{p}.db'}" for p in points}
    _run_table(ROWS, urls, tmp_path, twilio, workers)


@pytest.mark.postgres
def test_a_subset_on_postgresql(
    request, tmp_path: Path, twilio: FakeTwilio, workers: WorkerServer
) -> None:
    server = request.getfixturevalue("pg_server")
    rows = [r for r in ROWS if r.point in POSTGRES_POINTS and r.answer in POSTGRES_ANSWERS]
    names = {p: f"havehus_kill_{os.getpid()}_{n}" for n, p in enumerate(POSTGRES_POINTS)}
    urls = {p: server.create_database(name) for p, name in names.items()}
    try:
        _run_table(rows, urls, tmp_path, twilio, workers)
    finally:
        for name in names.values():
            server.drop_database(name)
