"""Delivery reports at /sms/status: signed, recorded, never moved backwards."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.messaging.outbox import process_due
from havehus.messaging.twilio_gateway import TwilioGateway
from havehus.models import InboundMessage, OptOut, OutboundMessage, Participant
from tests.factories import number_key
from tests.messaging.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM,
    PUBLIC_URL,
    FakeTwilio,
    post_inbound,
    post_signed,
    post_status,
    status_params,
)

#: When the worker sent the text.
SENT = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
#: The webhooks' clock: reports arrive a little later.
NOW = SENT + timedelta(minutes=2)
PHONE = "+4520990001"


@pytest.fixture
def twilio(httpserver) -> FakeTwilio:
    return FakeTwilio(httpserver)


@pytest.fixture
def sms(any_app, clock):
    change_settings(any_app, twilio_auth_token=AUTH_TOKEN)
    clock.set(NOW)
    return any_app.test_client()


def sent_text(twilio: FakeTwilio, phone: str = PHONE) -> OutboundMessage:
    """A text queued and sent by the worker through the real SDK to the fake Twilio."""
    message = OutboundMessage(
        to_phone=phone,
        language="da",
        body="Husk: Sammen om maden i dag kl. 17",
        kind="change",
        send_after=SENT,
        expires_at=SENT + timedelta(hours=4),
        created_at=SENT - timedelta(hours=1),
    )
    db.session.add(message)
    db.session.commit()
    gateway = TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        FROM,
        status_callback=PUBLIC_URL + "/sms/status",
        api_base=twilio.base,
        timeout=2.0,
    )
    run = process_due(db.session, gateway, SENT, "worker-1", 300, settings=current_settings())
    assert run.sent == [message.id]
    db.session.expire_all()
    sent = db.session.get(OutboundMessage, message.id)
    assert sent.status == "sent" and sent.provider_sid.startswith("SM")
    assert twilio.requests[-1]["StatusCallback"] == PUBLIC_URL + "/sms/status"
    return sent


def reload(message: OutboundMessage) -> OutboundMessage:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message.id)


def test_reports_in_order_end_in_delivered(sms, twilio):
    text = sent_text(twilio)
    for status in ("queued", "sending", "sent"):
        assert post_status(sms, text.provider_sid, status).status_code == 204
        assert reload(text).status == "sent"
    assert post_status(sms, text.provider_sid, "delivered").status_code == 204
    done = reload(text)
    assert done.status == "delivered" and done.delivered_at == NOW
    assert done.status_updated_at == NOW and done.error_code is None


def test_a_late_report_never_moves_the_status_backwards(sms, twilio):
    text = sent_text(twilio)
    post_status(sms, text.provider_sid, "delivered")
    for late in ("sent", "queued", "sending", "undelivered", "failed"):
        assert post_status(sms, text.provider_sid, late).status_code == 204
        assert reload(text).status == "delivered"
    assert reload(text).delivered_at == NOW


def test_a_failure_is_recorded_with_its_error_code_and_stays_final(sms, twilio):
    text = sent_text(twilio)
    post_status(sms, text.provider_sid, "undelivered", 30003)
    failed = reload(text)
    assert failed.status == "undelivered" and failed.error_code == 30003
    assert "30003" in failed.last_error and failed.delivered_at is None
    post_status(sms, text.provider_sid, "delivered")
    assert reload(text).status == "undelivered"
    # 30003 (handset unreachable) says nothing lasting about the number.
    assert db.session.scalars(select(OptOut)).all() == []


def test_a_report_settles_a_text_whose_outcome_was_unknown(sms, twilio):
    text = sent_text(twilio)
    text.status = "unknown"  # e.g. the worker's lease ran out after the send
    db.session.commit()
    post_status(sms, text.provider_sid, "delivered")
    assert reload(text).status == "delivered"


def test_invalid_number_21211_marks_the_person_unreachable(sms, twilio):
    person = Participant(
        public_id="p1", display_name="Fatima", phone=PHONE, language="da", created_at=SENT
    )
    db.session.add(person)
    db.session.commit()
    text = sent_text(twilio)
    post_status(sms, text.provider_sid, "failed", 21211)
    assert reload(text).status == "failed" and reload(text).error_code == 21211
    assert db.session.get(Participant, person.id).phone_unreachable is True


def test_unsubscribed_21610_opts_the_number_out_even_when_reported_late(sms, twilio):
    text = sent_text(twilio)
    post_status(sms, text.provider_sid, "delivered")
    post_status(sms, text.provider_sid, "failed", 21610)
    assert reload(text).status == "delivered"
    optout = db.session.scalars(select(OptOut)).one()
    assert (
        optout.phone_hash == number_key(PHONE)
        and optout.source == "provider"
        and optout.opted_out_at == NOW
    )
    # Twice is still one opt-out; START from the phone lifts it.
    post_status(sms, text.provider_sid, "failed", 21610)
    assert len(db.session.scalars(select(OptOut)).all()) == 1
    post_inbound(sms, PHONE, "START")
    assert db.session.scalars(select(OptOut)).all() == []


def test_an_unknown_sid_is_answered_and_ignored(sms, twilio, caplog):
    text = sent_text(twilio)
    with caplog.at_level(logging.INFO, logger="havehus.messaging"):
        response = post_status(sms, "SM" + "9" * 32, "failed", 21610)
    assert response.status_code == 204
    assert "unknown text" in caplog.text
    assert reload(text).status == "sent"
    assert db.session.scalars(select(OptOut)).all() == []


def test_an_unsigned_report_changes_nothing(sms, twilio):
    text = sent_text(twilio)
    params = status_params(text.provider_sid, "failed", 21610)
    assert sms.post("/sms/status", data=params).status_code == 403
    assert reload(text).status == "sent"
    assert db.session.scalars(select(OptOut)).all() == []
    assert db.session.scalars(select(InboundMessage)).all() == []


def test_a_signed_report_without_sid_or_status_is_a_bad_request(sms):
    assert post_signed(sms, "/sms/status", {"AccountSid": ACCOUNT_SID}).status_code == 400


@pytest.mark.parametrize("code", ["²", "30007a", str(2**31), "9" * 40])
def test_an_error_code_that_is_no_error_code_is_logged_and_the_report_kept(
    sms, twilio, caplog, code
):
    text = sent_text(twilio)
    params = {**status_params(text.provider_sid, "undelivered"), "ErrorCode": code}
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        response = post_signed(sms, "/sms/status", params)
    # Answered as a success: Twilio would otherwise retry the report for hours.
    assert response.status_code == 204
    assert "ErrorCode" in caplog.text
    kept = reload(text)
    assert kept.status == "undelivered" and kept.error_code is None


@pytest.mark.parametrize("sid", ["SM\x00" + "0" * 30, "SM" + "0" * 100, "SM 0"])
def test_a_report_whose_sid_no_text_can_have_is_logged_and_ignored(sms, twilio, caplog, sid):
    text = sent_text(twilio)
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        response = post_signed(sms, "/sms/status", status_params(sid, "failed", 21610))
    assert response.status_code == 204
    assert "Ignored POST /sms/status" in caplog.text
    assert reload(text).status == "sent"
    assert db.session.scalars(select(OptOut)).all() == []
