"""The public pages stay true on real gunicorn workers: two worker processes, each with its
own page cache and its own kept answers (`havehus.core.replay`), on one SQLite file, while
a partner books, cancels and the planner cancels a session through the API.

Every check asks each page many times from several clients at once, so both workers answer
(a sync worker takes one request at a time), from their caches once warm. Midnight and a
session starting, which need a pinned clock, are tested on two apps in one process
(`test_page_cache.py`); this runs at the odd hours too (`.ci/odd_hours.py`), gunicorn and the
demo under the moved clock.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import Machine, free_port, get, wait_until

#: Requests per check, and how many go at once (more than the two workers).
ASKS, AT_ONCE = 24, 6
SEATS = re.compile(r"(\d+) plads(?:er)? tilbage")


@pytest.fixture
def house(tmp_path: Path) -> Iterator[tuple[Machine, str, str]]:
    """The demo house on a SQLite file, served by gunicorn with two workers; its base URL
    and a manager's API token."""
    env = dict(os.environ)
    env.update(
        HAVEHUS_ENV="production",
        HAVEHUS_DATABASE_URL=f"sqlite:///{tmp_path / 'havehus.db'}",
        HAVEHUS_INSTANCE_PATH=str(tmp_path / "instance"),
        HAVEHUS_SECRET_KEY="workers-test-" + "k" * 40,
        HAVEHUS_PUBLIC_URL="https://havehus.example.dk",
        HAVEHUS_SMS_BACKEND="twilio",
        HAVEHUS_TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        HAVEHUS_TWILIO_AUTH_TOKEN="t" * 32,
        HAVEHUS_TWILIO_FROM="+4512345678",
        # Nothing answers there: no text leaves the machine.
        HAVEHUS_TWILIO_API_BASE=f"http://127.0.0.1:{free_port()}",
        HAVEHUS_API_TOKEN_REQUESTS_PER_MINUTE="100000",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    machine = Machine(env, logs)
    try:
        machine.havehus("db", "upgrade")
        machine.havehus("demo")
        token = machine.havehus("create-token", "--name", "partner", "--role", "manager")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        machine.start_web("web", port, workers=2)
        wait_until("the web answers", lambda: get(f"{base}/healthz")[0] == 200, machine)
        yield machine, base, token.strip().splitlines()[-1]
    finally:
        machine.stop_all()


def ask_all(url: str, headers: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """The page, ASKS times, AT_ONCE at a time: (status, body) of each."""
    with ThreadPoolExecutor(AT_ONCE) as pool:
        answers = list(pool.map(lambda _: get(url, headers), range(ASKS)))
    return [(status, body) for status, _headers, body in answers]


def seats_everywhere(url: str) -> set[str]:
    """The seats left each answer shows (one value when every worker agrees)."""
    found = set()
    for status, body in ask_all(url):
        assert status == 200
        match = SEATS.search(body)
        found.add(match.group(1) if match else "none shown")
    return found


def _seats_left(url: str) -> int:
    match = SEATS.search(get(url)[2])
    return int(match.group(1)) if match else 0


def api(
    base: str, method: str, path: str, token: str, body: dict[str, object]
) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else {}


def test_every_worker_shows_a_booking_a_cancellation_and_a_cancelled_session_at_once(house):
    machine, base, token = house
    activity = get(f"{base}/activities/sammen-om-maden")[2]
    session_ids = re.findall(r'href="/sessions/(\d+)"', activity)
    # The first session still open for sign-up with two seats or more (its page says how
    # many are left; one booking must leave one).
    session_id = next(sid for sid in session_ids if _seats_left(f"{base}/sessions/{sid}") >= 2)
    page = f"{base}/sessions/{session_id}"
    before = seats_everywhere(page)
    assert len(before) == 1
    seats = int(before.pop())
    etag = get(page)[1]["ETag"]
    assert {status for status, _ in ask_all(page, {"If-None-Match": etag})} == {304}

    booked = api(base, "POST", f"/sessions/{session_id}/bookings", token, {"name": "Ahmed"})
    assert booked["status"] == "confirmed"
    assert seats_everywhere(page) == {str(seats - 1)}
    # A browser's copy from before the booking is not "not modified" on any worker.
    assert {status for status, _ in ask_all(page, {"If-None-Match": etag})} == {200}

    api(base, "DELETE", f"/bookings/{booked['id']}", token, {})
    assert seats_everywhere(page) == {str(seats)}

    listing = ask_all(f"{base}/activities/sammen-om-maden")
    assert all(status == 200 and "Stormvejr" not in body for status, body in listing)
    api(base, "POST", f"/sessions/{session_id}/cancel", token, {"reason": "Stormvejr"})
    for url in (page, f"{base}/activities/sammen-om-maden"):
        for status, body in ask_all(url):
            assert status == 200 and "Stormvejr" in body, url
    assert "Traceback" not in machine.log("web")
