""" "Remind me" for drop-in sessions: a proved number, a text before, no seat taken."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Consent, OutboundMessage, Participant, ReminderRequest
from havehus.signup.reminders import queue_reminders
from tests.messaging.test_reminders import QUIET
from tests.signup.conftest import NOW
from tests.staff_fixtures import post_form


@pytest.fixture
def drop_in(make_activity, make_session):
    """A drop-in walk two days ahead that reminds 3 hours before."""
    activity = make_activity(
        mode="drop_in",
        category="walking",
        title={"da": "Gå-fællesskab", "en": "Walking group"},
        reminder_offsets=[180],
    )
    session = make_session(activity, NOW + timedelta(days=2))
    db.session.commit()
    return session


def _code() -> str:
    body = db.session.scalar(
        select(OutboundMessage.body)
        .where(OutboundMessage.kind == "code")
        .order_by(OutboundMessage.id.desc())
    )
    return re.search(r"\b(\d{6})\b", body).group(1)


def _ask(client, session, phone="20 12 34 56", **extra):
    data = {"name": "Amina", "phone": phone, "language": "da", "sms_consent": "y", **extra}
    return post_form(client, f"/sessions/{session.id}/remind", **data)


def _remind(client, session, **kwargs):
    response = _ask(client, session, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return post_form(client, "/signup/code", code=_code())


def test_a_drop_in_session_offers_remind_me_and_no_sign_up(client, drop_in):
    page = client.get(f"/sessions/{drop_in.id}").get_data(as_text=True)
    assert f'href="/sessions/{drop_in.id}/remind"' in page
    assert f"/sessions/{drop_in.id}/signup" not in page
    form = client.get(f"/sessions/{drop_in.id}/remind").get_data(as_text=True)
    assert "Husk mig" in form and "Bare kom" in form


def test_remind_me_proves_the_number_then_lists_the_reminder(client, drop_in):
    response = _remind(client, drop_in)
    assert response.status_code == 302 and "/me/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Påmindelser" in page and "Gå-fællesskab" in page
    request = db.session.scalar(select(ReminderRequest))
    assert request.session_id == drop_in.id and request.cancelled_at is None
    person = db.session.get(Participant, request.participant_id)
    assert person.phone == "+4520123456"
    assert db.session.scalar(select(Consent.kind)) == "sms"
    db.session.refresh(drop_in)
    assert drop_in.seats_taken == 0  # a reminder takes no seat


def test_asking_twice_keeps_one_reminder(app, client, drop_in):
    _remind(client, drop_in)
    _remind(app.test_client(), drop_in)
    assert db.session.scalar(select(func.count()).select_from(ReminderRequest)) == 1


def test_without_consent_there_is_nothing_to_remind_with(client, drop_in):
    response = _ask(client, drop_in, sms_consent="")
    assert response.status_code == 400
    assert "Sæt kryds" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_a_bad_number_is_explained(client, drop_in):
    response = _ask(client, drop_in, phone="12")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_a_sign_up_session_has_no_remind_me(client, bookable):
    session = bookable()
    response = client.get(f"/sessions/{session.id}/remind")
    assert "Tilmeld dig" in response.get_data(as_text=True)
    assert 'action="/sessions/' not in response.get_data(as_text=True)


def test_the_reminder_is_texted_before_the_session(client, drop_in):
    _remind(client, drop_in)
    before = drop_in.starts_at - timedelta(minutes=170)
    assert queue_reminders(db.session, before, **QUIET, settings=current_settings()) == 1
    db.session.commit()
    text = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "reminder"))
    assert "Gå-fællesskab" in text.body and "/me/" in text.body
    assert text.session_id == drop_in.id and text.booking_id is None
    assert (
        queue_reminders(db.session, before, **QUIET, settings=current_settings()) == 0
    )  # once only


def test_do_not_remind_me_stops_it_even_after_it_was_queued(client, drop_in):
    from havehus.messaging.outbox import process_due
    from tests.messaging.test_outbox import RecordingGateway

    me_url = _remind(client, drop_in).location.split("?")[0]
    before = drop_in.starts_at - timedelta(minutes=170)
    queue_reminders(db.session, before, **QUIET, settings=current_settings())
    db.session.commit()
    request = db.session.scalar(select(ReminderRequest))
    done = post_form(client, me_url, f"{me_url}/reminders/{request.id}/withdraw")
    assert done.status_code == 302
    assert "Påmindelser" not in client.get(done.location).get_data(as_text=True)
    gateway = RecordingGateway()
    # The code text went earlier; only the reminder is left, and it is skipped at send time.
    process_due(db.session, gateway, before, "w1", 60, settings=current_settings())
    reminder = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "reminder"))
    assert reminder.status == "skipped"
    assert all("Gå-fællesskab" not in body for _to, body in gateway.sent)


def test_someone_else_cannot_withdraw_a_reminder(app, client, drop_in):
    _remind(client, drop_in)
    other = _remind(app.test_client(), drop_in, phone="20 99 99 99").location.split("?")[0]
    first = db.session.scalars(select(ReminderRequest).order_by(ReminderRequest.id)).first()
    response = post_form(client, other, f"{other}/reminders/{first.id}/withdraw")
    assert response.status_code == 404
    db.session.refresh(first)
    assert first.cancelled_at is None
