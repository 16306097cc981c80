"""Guard rails at send time: allowed countries, a daily cap per number, the monthly budget."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from havehus.config import ConfigError, change_settings, current_settings, load_settings
from havehus.extensions import db
from havehus.messaging import guards
from havehus.messaging.gateway import ConsoleGateway
from havehus.messaging.outbox import process_due
from havehus.messaging.twilio_gateway import TwilioGateway
from havehus.models import OutboundMessage
from tests.factories import sms_limits
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, FakeTwilio

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
DANISH = "+4520990001"


def queue(kind: str = "change", phone: str = DANISH, **fields) -> OutboundMessage:
    values = dict(
        to_phone=phone,
        language="da",
        body="Aflyst: Sammen om maden i dag kl. 17",
        kind=kind,
        send_after=NOW,
        created_at=NOW - timedelta(hours=1),
    )
    values.update(fields)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def sent_before(count: int, *, phone: str = DANISH, segments: int = 1, at: datetime = NOW):
    """Texts that went out earlier (they count against the cap and the budget)."""
    for number in range(count):
        queue(
            phone=phone,
            status="sent",
            segments=segments,
            sent_at=at - timedelta(minutes=number + 1),
            send_after=at - timedelta(minutes=number + 1),
        )


def run(now: datetime = NOW):
    result = process_due(
        db.session, ConsoleGateway(), now, "worker-1", 300, settings=current_settings()
    )
    db.session.expire_all()
    return result


def limits(app, **changes) -> None:
    change_settings(app, **{f"sms_{key}": value for key, value in changes.items()})


# ---------------------------------------------------------------- countries


def test_a_text_to_a_number_outside_the_allowed_countries_is_skipped(any_app):
    swedish = queue(phone="+46701234567")
    danish = queue()
    result = run()
    assert result.sent == [danish.id] and result.skipped == [swedish.id]
    skipped = db.session.get(OutboundMessage, swedish.id)
    assert skipped.status == "skipped" and "SE" in skipped.last_error
    assert "allowed: DK" in skipped.last_error


def test_more_countries_can_be_allowed(any_app):
    change_settings(any_app, sms_allowed_countries=["DK", "SE"])
    swedish = queue(phone="+46701234567")
    assert run().sent == [swedish.id]


def test_a_number_that_is_no_number_is_skipped(any_app):
    odd = queue(phone="+999")
    assert run().skipped == [odd.id]
    assert "unknown country" in db.session.get(OutboundMessage, odd.id).last_error


# ---------------------------------------------------------------- daily cap


def test_the_daily_cap_per_number_counts_codes_too(any_app):
    limits(any_app, daily_limit_per_number=3)
    sent_before(2)
    queue(phone=DANISH, kind="code", status="delivered", segments=1,
          sent_at=NOW - timedelta(hours=23), send_after=NOW - timedelta(hours=23))  # fmt: skip
    capped = queue(kind="confirmation")
    other_number = queue(phone="+4520990002", kind="change")
    result = run()
    assert result.sent == [other_number.id] and result.skipped == [capped.id]
    message = db.session.get(OutboundMessage, capped.id)
    assert message.status == "skipped" and "3 texts in the last 24 hours" in message.last_error


def test_texts_older_than_a_day_and_unsent_ones_do_not_count(any_app):
    limits(any_app, daily_limit_per_number=2)
    sent_before(2, at=NOW - timedelta(hours=24))
    queue(status="failed", sent_at=None, send_after=NOW - timedelta(hours=1))
    queue(status="skipped", send_after=NOW - timedelta(hours=1))
    fresh = queue()
    assert run().sent == [fresh.id]


def test_a_daily_limit_of_zero_means_no_limit(any_app):
    limits(any_app, daily_limit_per_number=0)
    sent_before(10)
    fresh = queue()
    assert run().sent == [fresh.id]


# ---------------------------------------------------------------- monthly budget


def test_at_the_budget_only_essential_texts_are_sent(any_app):
    limits(any_app, monthly_segments=10, daily_limit_per_number=0)
    sent_before(5, segments=2)  # 10 of 10 segments this month
    # Reminders are also checked against their booking: asked here of the guards alone.
    reminder = OutboundMessage(to_phone=DANISH, kind="reminder", body="Husk", language="da")
    assert guards.reason_to_hold(db.session, reminder, NOW, sms_limits()) is None
    essential = [queue(kind=kind) for kind in guards.ESSENTIAL_KINDS if kind != "reminder"]
    other = [queue(kind=kind) for kind in ("broadcast", "follow-up", "shift")]
    result = run()
    assert sorted(result.sent) == sorted(m.id for m in essential)
    assert sorted(result.skipped) == sorted(m.id for m in other)
    message = db.session.get(OutboundMessage, other[0].id)
    assert "budget is used up (15 of 10 segments)" in message.last_error  # 5 essential sent


def test_below_the_budget_everything_is_sent(any_app):
    limits(any_app, monthly_segments=10, daily_limit_per_number=0)
    sent_before(9)
    broadcast = queue(kind="broadcast")
    assert run().sent == [broadcast.id]


def test_the_budget_counts_this_calendar_month_in_local_time(any_app):
    limits(any_app, monthly_segments=10, daily_limit_per_number=0)
    # The month began at 30 November 23:00 UTC (1 December 00:00 in Copenhagen).
    midnight = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    sent_before(4, segments=2, at=midnight + timedelta(minutes=10))  # 00:06–00:09 local
    sent_before(4, segments=2, at=midnight)  # 23:56–23:59 on 30 November local: last month
    assert guards.budget(db.session, NOW, sms_limits()).used == 8


def test_a_budget_of_zero_is_unlimited(any_app):
    limits(any_app, monthly_segments=0, daily_limit_per_number=0)
    sent_before(50, segments=100)
    budget = guards.budget(db.session, NOW, sms_limits())
    assert not budget.warning and not budget.exhausted
    broadcast = queue(kind="broadcast")
    assert run().sent == [broadcast.id]


def test_staff_pages_warn_at_80_percent_and_say_when_it_is_used_up(app, client, signed_in, clock):
    clock.set(NOW)
    limits(app, monthly_segments=10, daily_limit_per_number=0)
    signed_in("manager")
    sent_before(7)
    assert "monthly SMS budget" not in client.get("/staff/?lang=en").get_data(as_text=True)
    sent_before(1)
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "80 % of the monthly SMS budget is used (8 of 10 segments)" in page
    sent_before(2)
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "The monthly SMS budget is used up (10 of 10 segments)" in page


def test_hosts_see_no_budget_warning(app, client, signed_in, clock):
    clock.set(NOW)
    limits(app, monthly_segments=10)
    signed_in("host")
    sent_before(10)
    assert "SMS budget" not in client.get("/staff/?lang=en").get_data(as_text=True)


# ---------------------------------------------------------------- settings


def test_the_guard_settings_come_from_the_environment():
    settings = load_settings(
        environ={
            "HAVEHUS_SMS_ALLOWED_COUNTRIES": "DK, SE",
            "HAVEHUS_SMS_DAILY_LIMIT_PER_NUMBER": "4",
            "HAVEHUS_SMS_MONTHLY_SEGMENTS": "0",
            "HAVEHUS_SMS_PRICE_PER_SEGMENT": "0.42",
        }
    )
    assert settings["sms_allowed_countries"] == ["DK", "SE"]
    assert settings["sms_daily_limit_per_number"] == 4
    assert settings["sms_monthly_segments"] == 0
    assert settings["sms_price_per_segment"] == 0.42


def test_the_defaults_are_denmark_six_a_day_3000_segments_and_35_ore():
    settings = load_settings(environ={})
    assert settings["sms_allowed_countries"] == ["DK"]
    assert settings["sms_daily_limit_per_number"] == 6
    assert settings["sms_monthly_segments"] == 3000
    assert settings["sms_price_per_segment"] == 0.35


@pytest.mark.parametrize(
    "variable, value",
    [
        ("HAVEHUS_SMS_ALLOWED_COUNTRIES", "denmark"),
        ("HAVEHUS_SMS_DAILY_LIMIT_PER_NUMBER", "-1"),
        ("HAVEHUS_SMS_MONTHLY_SEGMENTS", "many"),
        ("HAVEHUS_SMS_PRICE_PER_SEGMENT", "-0.1"),
    ],
)
def test_unusable_guard_settings_are_refused(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={variable: value})


# ---------------------------------------------------------------- the Twilio secret


@pytest.fixture
def twilio(httpserver) -> FakeTwilio:
    return FakeTwilio(httpserver)


def test_the_twilio_auth_token_never_shows_in_logs_errors_or_pages(
    app, client, signed_in, twilio, caplog
):
    caplog.set_level(logging.DEBUG)
    change_settings(
        app,
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM,
    )
    gateway = TwilioGateway(
        ACCOUNT_SID, AUTH_TOKEN, FROM, status_callback="http://havehus.test/sms/status",
        api_base=twilio.base, timeout=1.0,
    )  # fmt: skip
    twilio.script = ["500", "21211", "ok"]
    for number in range(3):
        queue(phone=f"+452099000{number}")
    process_due(db.session, gateway, NOW, "worker-1", 300, settings=current_settings())
    db.session.expire_all()
    assert len(twilio.requests) == 3
    errors = [m.last_error or "" for m in db.session.query(OutboundMessage)]
    assert any(errors)
    signed_in("admin")
    pages = [
        client.get(path).get_data(as_text=True)
        for path in (
            "/staff/messages",
            "/staff/messages/1",
            "/staff/messages/2",
            "/staff/messages/templates",
            "/staff/messages/999999",
        )
    ]
    for text in [caplog.text, *errors, *pages]:
        assert AUTH_TOKEN not in text
    # Refusing a configuration does not repeat its secrets either.
    with pytest.raises(ConfigError) as refused:
        load_settings(
            {"env": "production", "secret_key": "short"},
            environ={"HAVEHUS_TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        )
    assert AUTH_TOKEN not in str(refused.value)
