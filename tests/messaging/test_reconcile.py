"""Reconciliation: a text whose outcome was lost is looked up at Twilio before any retry."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.gateway import ConsoleGateway, SentText
from havehus.messaging.outbox import MAX_ATTEMPTS, RECONCILE_AFTER, process_due
from havehus.models import OutboundMessage
from tests.messaging.fake_twilio import FakeTwilio
from tests.messaging.test_twilio_gateway import gateway

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
LEASE = 300
PHONE = "+4520990001"
BODY = "Husk: Sammen om maden i dag kl. 17"
#: Late enough that a claim made at NOW has run out and is old enough to look up.
LATER = NOW + timedelta(seconds=LEASE) + RECONCILE_AFTER + timedelta(seconds=1)


@pytest.fixture
def twilio(httpserver) -> FakeTwilio:
    fake = FakeTwilio(httpserver)
    fake.clock = NOW  # Twilio's clock agrees with ours
    return fake


def lost_claim(**fields) -> OutboundMessage:
    """A text a worker claimed at NOW and then vanished with (killed, or never answered)."""
    values = dict(
        to_phone=PHONE,
        language="da",
        body=BODY,
        kind="change",
        send_after=NOW,
        expires_at=NOW + timedelta(hours=4),
        created_at=NOW - timedelta(days=1),
        status="claimed",
        claimed_by="worker-gone",
        lease_until=NOW + timedelta(seconds=LEASE),
        attempts=1,
    )
    values.update(fields)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def twilio_took(twilio: FakeTwilio, to: str = PHONE, body: str = BODY) -> str:
    """Twilio took a text (the request of a worker that then died): returns its SID."""
    result = gateway(twilio.base).send(to, body)
    return result.provider_sid


def run(gw, at: datetime = LATER):
    result = process_due(db.session, gw, at, "worker-2", LEASE, settings=current_settings())
    db.session.expire_all()
    return result


def test_a_lost_text_that_twilio_has_is_recorded_not_resent(any_app, twilio):
    message = lost_claim()
    sid = twilio_took(twilio)
    result = run(gateway(twilio.base))
    assert result.lease_lost == 1 and result.reconciled == [message.id]
    found = db.session.get(OutboundMessage, message.id)
    assert found.status == "sent" and found.provider_sid == sid and found.segments == 1
    assert found.sent_at == NOW and found.lease_until is None
    assert twilio.texts_to(PHONE) == 1 and twilio.requests_to(PHONE) == 1
    # And it stays so: nothing is looked up or sent at the next run.
    assert run(gateway(twilio.base), LATER + timedelta(hours=1)).reconciled == []
    assert twilio.requests_to(PHONE) == 1


def test_a_lost_text_twilio_never_took_is_sent_again_once(any_app, twilio):
    message = lost_claim()
    result = run(gateway(twilio.base))
    assert result.requeued == [message.id] and result.sent == [message.id]
    sent = db.session.get(OutboundMessage, message.id)
    # The lost attempt counts: the text was claimed twice.
    assert sent.status == "sent" and sent.attempts == 2
    assert twilio.texts_to(PHONE) == 1


def test_a_young_unknown_text_is_not_looked_up_yet(any_app, twilio):
    # Twilio's list may lag a little behind: "not found" only counts once the attempt is old.
    message = lost_claim(status="unknown")
    result = run(gateway(twilio.base), NOW + timedelta(seconds=LEASE + 60))
    assert result.requeued == [] and result.sent == []
    assert db.session.get(OutboundMessage, message.id).status == "unknown"
    assert twilio.requests == []


def test_a_failing_lookup_leaves_the_text_unknown(any_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = lost_claim()
    result = run(gateway(f"http://127.0.0.1:{port}"))
    assert result.unresolved == 1 and result.sent == []
    assert db.session.get(OutboundMessage, message.id).status == "unknown"


def test_a_known_sid_is_fetched(any_app, twilio):
    sid = twilio_took(twilio)
    message = lost_claim(status="unknown", provider_sid=sid)
    assert run(gateway(twilio.base)).reconciled == [message.id]
    assert db.session.get(OutboundMessage, message.id).status == "sent"
    assert gateway(twilio.base).lookup(SentText(PHONE, BODY, NOW, "SM" + "f" * 32)).matches == []


def test_the_same_text_sent_before_is_not_taken_for_the_lost_one(any_app, twilio):
    # Yesterday's identical text is recorded on its own row: its SID cannot be this one's.
    old_sid = twilio_took(twilio)
    lost_claim(
        status="sent",
        provider_sid=old_sid,
        claimed_by="worker-1",
        lease_until=None,
        dedupe_key="earlier",
    )
    message = lost_claim()
    result = run(gateway(twilio.base))
    assert result.requeued == [message.id] and result.sent == [message.id]
    assert twilio.texts_to(PHONE) == 2  # one each: nothing twice, nothing lost
    new = db.session.get(OutboundMessage, message.id)
    assert new.provider_sid != old_sid


def test_a_text_lost_too_often_ends_failed(any_app, twilio):
    message = lost_claim(attempts=MAX_ATTEMPTS)
    result = run(gateway(twilio.base))
    assert result.failed == [message.id]
    failed = db.session.get(OutboundMessage, message.id)
    assert failed.status == "failed" and "not found" in failed.last_error
    assert twilio.requests_to(PHONE) == 0


def test_a_lost_console_text_counts_as_not_sent(any_app):
    message = lost_claim()
    result = run(ConsoleGateway())
    assert result.requeued == [message.id] and result.sent == [message.id]
    assert db.session.get(OutboundMessage, message.id).provider_sid.startswith("console-")


def test_an_unusable_answer_to_the_lookup_leaves_the_text_unknown(any_app, httpserver):
    # A server that answers the list with a plain 500 page, not Twilio's JSON.
    message = lost_claim()
    result = run(gateway(httpserver.url_for("/").rstrip("/")))
    assert result.unresolved == 1 and result.requeued == []
    assert db.session.get(OutboundMessage, message.id).status == "unknown"


def test_a_lost_text_twilio_never_took_is_dropped_when_too_late(any_app, twilio):
    message = lost_claim(expires_at=NOW + timedelta(minutes=5))
    result = run(gateway(twilio.base))
    assert result.skipped == [message.id] and result.requeued == []
    found = db.session.get(OutboundMessage, message.id)
    assert found.status == "skipped" and "too late" in found.last_error
    assert twilio.requests_to(PHONE) == 0
