"""The outbox: each due text is claimed by one worker and sent once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.gateway import SendResult
from havehus.messaging.outbox import process_due
from havehus.models import OutboundMessage

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


class RecordingGateway:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, to: str, body: str, validity_seconds: int | None = None) -> SendResult:
        with self.lock:
            self.sent.append((to, body))
            return SendResult(provider_sid=f"SM{len(self.sent):032d}", segments=1)


class BrokenGateway:
    def send(self, to: str, body: str, validity_seconds: int | None = None) -> SendResult:
        raise ConnectionError("provider unreachable")


def _queue(body: str = "Kommer du i dag?", **fields) -> OutboundMessage:
    values = dict(
        to_phone="+4520990001",
        language="da",
        body=body,
        # Not a reminder: those are re-checked against their booking at send time.
        kind="change",
        send_after=NOW,
        created_at=NOW - timedelta(days=1),
    )
    values.update(fields)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def test_a_due_text_is_sent_and_recorded(any_app):
    message = _queue()
    gateway = RecordingGateway()

    run = process_due(db.session, gateway, NOW, "worker-1", 300, settings=current_settings())

    assert run.sent == [message.id]
    assert gateway.sent == [("+4520990001", "Kommer du i dag?")]
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_sid.startswith("SM")
    assert message.sent_at == NOW and message.attempts == 1


def test_a_text_not_yet_due_waits(any_app):
    _queue(send_after=NOW + timedelta(minutes=1))
    gateway = RecordingGateway()
    assert (
        process_due(db.session, gateway, NOW, "worker-1", 300, settings=current_settings()).sent
        == []
    )
    assert gateway.sent == []


def test_running_again_sends_nothing_twice(any_app):
    _queue()
    gateway = RecordingGateway()
    process_due(db.session, gateway, NOW, "worker-1", 300, settings=current_settings())
    process_due(
        db.session,
        gateway,
        NOW + timedelta(minutes=5),
        "worker-1",
        300,
        settings=current_settings(),
    )
    assert len(gateway.sent) == 1


def test_a_text_past_its_expiry_is_skipped(any_app):
    message = _queue(expires_at=NOW - timedelta(minutes=1))
    run = process_due(
        db.session, RecordingGateway(), NOW, "worker-1", 300, settings=current_settings()
    )
    assert run.expired == 1
    db.session.refresh(message)
    assert message.status == "skipped"


def test_a_claim_whose_worker_vanished_is_never_resent_blindly(any_app):
    message = _queue(status="claimed", lease_until=NOW - timedelta(seconds=1))
    gateway = RecordingGateway()
    run = process_due(db.session, gateway, NOW, "worker-2", 300, settings=current_settings())
    assert run.lease_lost == 1 and gateway.sent == []
    db.session.refresh(message)
    assert message.status == "unknown"


def test_a_gateway_failure_is_recorded(any_app):
    message = _queue()
    run = process_due(
        db.session, BrokenGateway(), NOW, "worker-1", 300, settings=current_settings()
    )
    assert run.failed == [message.id]
    db.session.refresh(message)
    assert message.status == "failed" and "unreachable" in message.last_error


def test_two_workers_racing_send_each_text_exactly_once(any_app):
    ids = {_queue(body=f"text {n}", to_phone=f"+45209900{n:02d}").id for n in range(30)}
    db.session.commit()  # reading the ids opened a transaction: end it before the race
    gateway = RecordingGateway()
    app = any_app
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        with app.app_context():
            try:
                barrier.wait()
                process_due(db.session, gateway, NOW, name, 300, settings=current_settings())
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(body for _, body in gateway.sent) == sorted(f"text {n}" for n in range(30))
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboundMessage.status).where(OutboundMessage.id.in_(ids)))
    assert set(statuses) == {"sent"}
