"""docs/deploy.md on one machine: two gunicorn web processes and two workers against one
PostgreSQL, started and stopped here, with the guide's own commands and config files.

Both webs serve; gunicorn's access lines are JSON, masked and carry the request id; killing
the workers turns /healthz/worker to 503 (the silence is pinned to 3 seconds); maintenance on
and off; a backup, a change, the restore drill, and the change is gone. Bounded: every wait
has a deadline, and every process is stopped at the end whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PostgresServer
from tests.processes import Machine, free_port, get, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "FAKETIME" in os.environ,
        reason="under libfaketime the workers' scheduler never wakes (a timed Event.wait, "
        "see .ci/odd_hours.py); this test is about processes, not the hour",
    ),
]

SILENT_AFTER_SECONDS = 3


def worker_health(base: str) -> tuple[int, dict[str, object]]:
    status, _headers, body = get(f"{base}/healthz/worker")
    return status, json.loads(body)


@pytest.fixture
def machine(pg_server: PostgresServer, pg_url: str, tmp_path: Path) -> Iterator[Machine]:
    assert pg_server.bindir is not None
    env = dict(os.environ)
    env.update(
        HAVEHUS_ENV="production",
        HAVEHUS_DATABASE_URL=pg_url,
        HAVEHUS_SECRET_KEY="deploy-test-" + "k" * 40,
        HAVEHUS_PUBLIC_URL="https://havehus.example.dk",
        HAVEHUS_TRUSTED_PROXIES="1",
        HAVEHUS_SMS_BACKEND="twilio",
        HAVEHUS_TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        HAVEHUS_TWILIO_AUTH_TOKEN="t" * 32,
        HAVEHUS_TWILIO_FROM="+4512345678",
        # Nothing answers there: no text leaves the machine.
        HAVEHUS_TWILIO_API_BASE=f"http://127.0.0.1:{free_port()}",
        HAVEHUS_PG_BINDIR=str(pg_server.bindir),
        HAVEHUS_BACKUP_DIR=str(tmp_path / "backups"),
        HAVEHUS_WORKER_SILENT_AFTER_SECONDS=str(SILENT_AFTER_SECONDS),
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    deployment = Machine(env, logs)
    try:
        yield deployment
    finally:
        deployment.stop_all()


def test_two_webs_and_two_workers_on_one_postgresql(machine: Machine, tmp_path: Path) -> None:
    # Install: the schema, the demo house, an administrator.
    machine.havehus("db", "upgrade")
    machine.havehus("demo")
    (port_a, port_b) = (free_port(), free_port())
    web_a, web_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    machine.start_web("web-a", port_a)
    machine.start_web("web-b", port_b)
    machine.start_worker("worker-1")
    machine.start_worker("worker-2")
    for base in (web_a, web_b):
        wait_until(f"{base}/healthz answers", lambda b=base: get(f"{b}/healthz")[0] == 200, machine)
    wait_until("both workers beat", lambda: worker_health(web_a)[1]["workers_alive"] == 2, machine)

    # Both webs serve the program, the calendar and the staff sign-in.
    for base in (web_a, web_b):
        for path in ("/", "/calendar.ics", "/staff/login"):
            status, headers, _body = get(f"{base}{path}")
            assert status == 200, (base, path)
            assert len(headers["X-Request-ID"]) == 32

    # gunicorn's access log: JSON, the proxy's request id, no capability token.
    token = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
    assert get(f"{web_a}/me/{token}", {"X-Request-ID": "nginx-req-000001"})[0] == 404
    wait_until("the access line is written", lambda: "nginx-req-000001" in machine.log("web-a"),
               machine)  # fmt: skip
    access = [
        json.loads(line)
        for line in machine.log("web-a").splitlines()
        if line.startswith("{") and "nginx-req-000001" in line
    ]
    assert access and access[-1]["logger"] == "gunicorn.access"
    assert "/me/…" in str(access[-1]["message"])
    assert token not in machine.log("web-a")

    # A worker dies: the other keeps beating. Both die: /healthz/worker is 503 on both webs.
    machine.stop("worker-1", signal.SIGKILL)
    wait_until("one worker left", lambda: worker_health(web_b)[1]["workers_alive"] == 1, machine)
    assert worker_health(web_b)[0] == 200
    machine.stop("worker-2", signal.SIGKILL)
    for base in (web_a, web_b):
        wait_until("no worker", lambda b=base: worker_health(b)[0] == 503, machine)
    machine.start_worker("worker-3")  # systemd restarts it
    wait_until("a worker again", lambda: worker_health(web_a)[0] == 200, machine)

    # Maintenance: both webs answer 503 at once, /healthz says why; then back.
    machine.havehus("maintenance", "on", "--reason", "drill")
    for base in (web_a, web_b):
        status, headers, _body = get(f"{base}/")
        assert status == 503 and headers["Retry-After"] == "300"
        assert json.loads(get(f"{base}/healthz")[2])["status"] == "maintenance"
    machine.havehus("maintenance", "off")
    assert all(get(f"{base}/")[0] == 200 for base in (web_a, web_b))

    # The restore drill: a backup, a change after it, stop the workers, restore, start again.
    backup = Path(machine.havehus("backup").strip())
    assert backup.parent == tmp_path / "backups" and backup.stat().st_size > 0
    late = machine.havehus("create-token", "--name", "after the backup", "--role", "partner")
    bearer = {"Authorization": f"Bearer {late.strip()}"}
    assert get(f"{web_a}/api/v1/me", bearer)[0] == 200
    # The drill as docs/deploy.md gives it.
    machine.havehus("maintenance", "on", "--reason", "restore")
    machine.stop("worker-3")
    # Without --yes it only says what would be lost.
    said = machine.havehus("restore", str(backup), exit_code=1)
    assert "was taken at" in said and "0 booking(s) made after the backup" in said
    said = machine.havehus("restore", str(backup), "--yes")
    assert "Restored." in said and "stays in maintenance" in said
    machine.havehus("check")
    machine.start_worker("worker-4")
    assert get(f"{web_a}/")[0] == 503
    machine.havehus("maintenance", "off")
    wait_until("the worker after the restore", lambda: worker_health(web_b)[0] == 200, machine)
    for base in (web_a, web_b):
        assert get(f"{base}/")[0] == 200
        assert get(f"{base}/healthz")[0] == 200
        # What was made after the backup is gone: the token no longer opens the API.
        assert get(f"{base}/api/v1/me", bearer)[0] == 401
