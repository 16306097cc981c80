"""Two `havehus worker --once` processes at once: every reminder is queued and sent exactly once."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import OutboundMessage
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio
from tests.messaging.test_reminders import START
from tests.messaging.worker_processes import WorkerServer

#: Sessions of ten bookings each: more texts than one claim takes, so the workers interleave.
SESSIONS = 12


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    fake = FakeTwilio(server)
    fake.clock = START
    yield fake
    server.clear()
    server.stop()


def test_two_workers_send_each_reminder_exactly_once(
    any_app, booked, twilio: FakeTwilio, tmp_path: Path
):
    phones = []
    for _ in range(SESSIONS):
        _session, bookings = booked(people=10)
        phones += [b.participant.phone for b in bookings]
    url = any_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()
    config = tmp_path / "worker.toml"
    config.write_text(
        f'database_url = "{url}"\n'
        'sms_backend = "twilio"\n'
        f'twilio_account_sid = "{ACCOUNT_SID}"\n'
        f'twilio_auth_token = "{AUTH_TOKEN}"\n'
        f'twilio_from = "{FROM}"\n'
        f'twilio_api_base = "{twilio.base}"\n'
        'public_url = "https://havehus.example"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
    env.update(HAVEHUS_CONFIG=str(config), HAVEHUS_INSTANCE_PATH=str(tmp_path / "instance"))
    at = (START - timedelta(hours=3)).isoformat()
    with WorkerServer() as server:
        # Both queue the due reminders and then send them, at the same time.
        workers = [
            server.start(["worker", "--once", "--at", at], env, tmp_path / f"worker-{n}.log")
            for n in (1, 2)
        ]
        codes = [worker.wait(180) for worker in workers]
    assert codes == [0, 0], "\n".join(worker.output() for worker in workers)

    received = Counter(request["To"] for request in twilio.requests)
    assert received == Counter(phones)  # one text each: none twice, none lost
    db.session.expire_all()
    statuses = Counter(
        db.session.scalars(select(OutboundMessage.status).where(OutboundMessage.kind == "reminder"))
    )
    assert statuses == {"sent": len(phones)}
