"""Log lines: JSON in production, text in development, a request id from the web request into
the worker's lines about its texts, and no number, name or capability token in any line."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from havehus import logs
from havehus.extensions import db
from havehus.models import OutboundMessage
from havehus.worker import send_due_messages
from tests.conftest import DEFAULT_NOW
from tests.staff_fixtures import post_form

NAME = "Fatima Hassan"
PHONE_TYPED = "20 12 34 56"
PHONE = "+4520123456"


class Output:
    """What the process's log handler wrote."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()

    def records(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines()]


def _capture(monkeypatch: pytest.MonkeyPatch, *, json_lines: bool) -> Iterator[Output]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    logs.configure(json=json_lines)
    output = Output()
    (ours,) = [h for h in root.handlers if h.get_name() == "havehus"]
    assert isinstance(ours, logging.StreamHandler)
    ours.setStream(output.buffer)
    try:
        yield output
    finally:
        logging.captureWarnings(False)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.fixture
def production_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[Output]:
    """The process's logging as a production worker or CLI sets it up: JSON lines."""
    yield from _capture(monkeypatch, json_lines=True)


@pytest.fixture
def development_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[Output]:
    yield from _capture(monkeypatch, json_lines=False)


def test_a_web_request_answers_its_id_and_a_sane_one_is_taken_from_the_proxy(client) -> None:
    fresh = client.get("/")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    assert client.get("/").headers["X-Request-ID"] != fresh.headers["X-Request-ID"]
    given = client.get("/", headers={"X-Request-ID": "nginx-5f2b9c1d-0001"})
    assert given.headers["X-Request-ID"] == "nginx-5f2b9c1d-0001"
    for insane in ("short", "x" * 200, "a b c d e f g h", "<script>alert(1)</script>"):
        answer = client.get("/", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_the_request_id_goes_with_the_text_into_the_workers_log_lines_all_masked(
    app: Flask, client, make_activity, make_session, production_log: Output
) -> None:
    activity = make_activity(mode="signup", capacity=5, title={"da": "Sammen om maden"})
    session = make_session(activity, DEFAULT_NOW + timedelta(days=2))
    db.session.commit()
    client.environ_base["HTTP_X_REQUEST_ID"] = "req-signup-0001"
    data = {"name": NAME, "phone": PHONE_TYPED, "language": "da", "sms_consent": "y"}
    assert post_form(client, f"/sessions/{session.id}/signup", **data).status_code == 302
    code = re.search(r"\b(\d{6})\b", db.session.scalar(select(OutboundMessage.body)) or "")
    assert code is not None
    client.environ_base["HTTP_X_REQUEST_ID"] = "req-code-0002"
    answer = post_form(client, "/signup/code", code=code.group(1))
    booking_path = answer.headers["Location"]
    assert booking_path.startswith("/bookings/")
    texts = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert [t.request_id for t in texts] == ["req-signup-0001", "req-code-0002"]
    db.session.commit()

    send_due_messages(app, DEFAULT_NOW + timedelta(seconds=1))

    sent = [r for r in production_log.records() if "SMS (console" in str(r["message"])]
    assert [r["request_id"] for r in sent] == ["req-signup-0001", "req-code-0002"]
    assert {r["level"] for r in sent} == {"INFO"}
    assert all(r["logger"] == "havehus.messaging" for r in sent)
    # The confirmation holds the booking's link: its token is masked, as is the number.
    assert any("/bookings/…" in str(r["message"]) for r in sent)
    whole = production_log.buffer.getvalue()
    token = booking_path.removeprefix("/bookings/").split("/")[0]
    for secret in (PHONE, "20123456", token, NAME, "Fatima"):
        assert secret not in whole
    assert "[phone …56]" in whole


def test_a_line_naming_a_person_in_a_request_is_masked_in_development_text_too(
    app: Flask, development_log: Output
) -> None:
    with app.test_request_context(
        "/staff/people?q=Fatima", method="POST", data={"name": NAME, "phone": PHONE_TYPED}
    ):
        app.preprocess_request()
        logging.getLogger("havehus.test").warning(
            "Booked %s (%s, %s) via /me/%s and /feeds/%s.ics?token=%s, called %s",
            NAME,
            PHONE_TYPED,
            "+45 20 12 34 56",
            "Zm9vYmFyYmF6cXV4cXV1eGNvcmdl",
            "c2VjcmV0ZmVlZHRva2VuMTIzNDU2",
            "abc123",
            "Fatima",
        )
    (line,) = development_log.lines()
    assert "WARNING havehus.test [" in line
    assert "Zm9vYmFy" not in line and "c2VjcmV0" not in line and "abc123" not in line
    assert "/me/… and /feeds/….ics?token=…" in line
    assert NAME not in line and "Fatima" not in line and "20 12 34 56" not in line
    assert line.count("[name]") == 2 and line.count("[phone …56]") == 2


def test_tracebacks_and_extra_fields_are_masked(production_log: Output) -> None:
    log = logging.getLogger("havehus.test")
    try:
        raise ValueError(f"no seat for {PHONE} at /bookings/secret-token-value-1234")
    except ValueError:
        log.exception("Failed", extra={"phone": PHONE, "where": "/me/another-secret-token"})
    (record,) = production_log.records()
    text = json.dumps(record)
    assert PHONE not in text and "secret-token-value" not in text
    assert "another-secret-token" not in text
    assert record["phone"] == "[masked]" and record["where"] == "/me/…"
    assert "ValueError: no seat for [phone …56] at /bookings/…" in str(record["exc_info"])


@pytest.mark.parametrize(
    "line",
    [
        "Nightly backup /srv/havehus-20261206-023000.db (12345678 bytes); 0 older removed",
        "send_due_messages: {'sent': 12, 'failed': 0}",
        "Text 12345 may or may not have been sent: timeout",
        "GET /sessions/12345678 took 1234 ms on 2026-12-06 07:15:36",
        "Twilio SM0123456789abcdef0123456789abcdef accepted",
    ],
)
def test_lines_without_anything_personal_stay_as_they_are(line: str) -> None:
    assert logs.mask(line) == line


@pytest.mark.parametrize(
    "line,masked",
    [
        ("to +4520123456:", "to [phone …56]:"),
        ("to=20123456", "to=[phone …56]"),
        ("ring 20 12 34 56.", "ring [phone …56]."),
        ("name='Ib Jensen', ok", "name=[name], ok"),
        ('{"name": "Ib Jensen"}', '{"name": [name]}'),
        ("GET /staff/invite/tok_123?next=/ 200", "GET /staff/invite/…?next=/ 200"),
        ("Authorization: Bearer hh_abcdef123", "Authorization: Bearer …"),
        ("to +45-20-12-34-58 ok", "to [phone …58] ok"),
        ("call 004520123458", "call [phone …58]"),
        ("GET /sessions/12/here/abcDEF123 200", "GET /sessions/12/here/… 200"),
        ("display_name=Anna Hansen, x", "display_name=[name], x"),
    ],
)
def test_what_is_masked(line: str, masked: str) -> None:
    assert logs.mask(line) == masked
