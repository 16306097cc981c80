"""The Twilio backend: the real SDK against a fake Twilio server; no real network, ever."""

from __future__ import annotations

import base64
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from havehus.config import ConfigError, current_settings, settings_of
from havehus.extensions import db
from havehus.messaging.gateway import gateway_for
from havehus.messaging.outbox import MAX_ATTEMPTS, process_due
from havehus.messaging.twilio_gateway import TwilioGateway
from havehus.models import OptOut, OutboundMessage, Participant
from tests.factories import number_key
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
PHONE = "+4520990001"


@pytest.fixture
def twilio(httpserver) -> FakeTwilio:
    return FakeTwilio(httpserver)


def gateway(base: str) -> TwilioGateway:
    return TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        FROM,
        status_callback="https://havehus.example/sms/status",
        api_base=base,
        timeout=1.0,
    )


def queue(**fields) -> OutboundMessage:
    values = dict(
        to_phone=PHONE,
        language="da",
        body="Husk: Sammen om maden i dag kl. 17",
        kind="change",
        send_after=NOW,
        expires_at=NOW + timedelta(hours=4),
        created_at=NOW - timedelta(days=1),
    )
    values.update(fields)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def send(twilio_base: str, at: datetime = NOW):
    run = process_due(
        db.session, gateway(twilio_base), at, "worker-1", 300, settings=current_settings()
    )
    db.session.expire_all()
    return run


def test_a_text_goes_through_the_sdk_with_callback_and_validity(any_app, twilio):
    message = queue()
    run = send(twilio.base)
    assert run.sent == [message.id]
    (request,) = twilio.requests
    assert request["To"] == PHONE and request["From"] == FROM
    assert request["Body"] == "Husk: Sammen om maden i dag kl. 17"
    assert request["StatusCallback"] == "https://havehus.example/sms/status"
    assert request["ValidityPeriod"] == str(4 * 3600)  # until the session starts
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["Authorization"] == f"Basic {credentials}"
    sent = db.session.get(OutboundMessage, message.id)
    assert sent.status == "sent" and sent.provider_sid.startswith("SM") and sent.segments == 1


def test_a_messaging_service_picks_the_sender(app, twilio):
    queue()
    service = TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        "",
        status_callback="https://havehus.example/sms/status",
        api_base=twilio.base,
        timeout=1.0,
        messaging_service_sid="MG" + "1" * 32,
    )
    run = process_due(db.session, service, NOW, "worker-1", 300, settings=current_settings())
    assert len(run.sent) == 1
    (request,) = twilio.requests
    assert request["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in request


def test_twilio_needs_a_sender_or_a_messaging_service():
    with pytest.raises(ConfigError, match="HAVEHUS_TWILIO_MESSAGING_SERVICE_SID"):
        TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, "", status_callback="https://x.example/sms/status")


def test_validity_is_capped_to_twilios_range(any_app, twilio):
    queue(expires_at=NOW + timedelta(days=2))
    queue(to_phone="+4520990002", expires_at=None)
    send(twilio.base)
    assert twilio.requests[0]["ValidityPeriod"] == "36000"
    assert "ValidityPeriod" not in twilio.requests[1]


@pytest.mark.parametrize("failure", ["500", "429"])
def test_a_transient_failure_is_retried_later_with_backoff(any_app, twilio, failure):
    message = queue()
    twilio.script = [failure]
    run = send(twilio.base)
    assert run.retrying == [message.id] and run.sent == []
    waiting = db.session.get(OutboundMessage, message.id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert NOW + timedelta(seconds=15) <= waiting.send_after <= NOW + timedelta(seconds=30)
    assert send(twilio.base, waiting.send_after).sent == [message.id]


def test_an_answer_that_never_comes_is_unknown_and_not_resent(any_app, twilio):
    # Twilio may have queued the text before the answer was lost; resending could text twice.
    message = queue()
    twilio.script = ["timeout"]
    twilio.clock = NOW  # Twilio's clock agrees with ours: its list finds the text by date
    run = send(twilio.base)
    assert run.unknown == [message.id]
    assert db.session.get(OutboundMessage, message.id).status == "unknown"
    send(twilio.base, NOW + timedelta(hours=1))
    assert len(twilio.requests) == 1
    assert twilio.slow_done.wait(10)  # let the fake finish before the next test uses it


def test_a_refused_connection_is_transient(any_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = queue()
    run = send(f"http://127.0.0.1:{port}")
    assert run.retrying == [message.id]
    assert "unreachable" in db.session.get(OutboundMessage, message.id).last_error


def test_a_text_that_keeps_failing_ends_failed(any_app, twilio):
    message = queue()
    twilio.script = ["500"] * MAX_ATTEMPTS
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        send(twilio.base, at)
        at = db.session.get(OutboundMessage, message.id).send_after
    final = db.session.get(OutboundMessage, message.id)
    assert final.status == "failed" and final.attempts == MAX_ATTEMPTS
    assert len(twilio.requests) == MAX_ATTEMPTS
    assert send(twilio.base, at + timedelta(hours=1)).sent == []


def test_an_invalid_number_is_marked_unreachable_and_never_retried(any_app, twilio):
    person = Participant(
        public_id="p-1", display_name="Amina", phone=PHONE, language="da", created_at=NOW
    )
    db.session.add(person)
    message = queue()
    twilio.script = ["21211"]
    run = send(twilio.base)
    assert run.failed == [message.id]
    assert db.session.get(Participant, person.id).phone_unreachable is True
    send(twilio.base, NOW + timedelta(hours=1))
    assert len(twilio.requests) == 1


def test_an_unsubscribed_number_becomes_an_opt_out(any_app, twilio):
    message = queue()
    twilio.script = ["21610"]
    send(twilio.base)
    assert db.session.get(OutboundMessage, message.id).status == "failed"
    assert (
        db.session.scalar(select(OptOut.source).where(OptOut.phone_hash == number_key(PHONE)))
        == "provider"
    )


def test_the_twilio_backend_needs_its_credentials(app):
    config = replace(settings_of(app), sms_backend="twilio", twilio_auth_token="")
    with pytest.raises(ConfigError, match="HAVEHUS_TWILIO_AUTH_TOKEN"):
        gateway_for(config)


def test_the_twilio_backend_is_chosen_by_configuration(app, twilio):
    config = replace(
        settings_of(app),
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM,
        twilio_api_base=twilio.base,
        public_url="https://havehus.example/",
    )
    result = gateway_for(config).send(PHONE, "Hej")
    assert result.provider_sid.startswith("SM")
    assert twilio.requests[0]["StatusCallback"] == "https://havehus.example/sms/status"
