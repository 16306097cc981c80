"""A STOP outlives the person: kept as the number's keyed hash, never the number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.messaging import outgoing
from havehus.messaging.replies import handle_inbound
from havehus.models import OptOut
from havehus.people.retention import apply_retention
from tests.factories import add_participant, number_key
from tests.people.test_retention import PERIODS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PHONE = "+4520998877"


def test_a_stop_outlives_the_anonymised_person_and_no_later_text_reaches_the_number(app):
    person = add_participant("Birthe", phone=PHONE, at=NOW - timedelta(days=400))
    person.last_seen_at = NOW - timedelta(days=400)
    db.session.commit()
    with app.test_request_context():
        handle_inbound(
            db.session,
            from_phone=PHONE,
            body="STOP",
            message_sid="SM" + "7" * 32,
            now=NOW,
            settings=current_settings(),
        )
    db.session.commit()

    apply_retention(db.session, NOW + timedelta(days=400), PERIODS)
    db.session.commit()
    db.session.refresh(person)
    assert person.phone is None  # everything else about the number is gone

    [row] = db.session.scalars(select(OptOut)).all()
    assert row.phone_hash == number_key(PHONE) and PHONE[3:] not in row.phone_hash
    # A later sign-up or import with the number is recognised and gets nothing.
    assert outgoing.opted_out(db.session, PHONE, current_settings())
    assert not outgoing.queue(
        db.session, phone=PHONE, language="da", body="Din kode: 123456", kind="code",
        now=NOW + timedelta(days=401), needs_consent=False,
        settings=current_settings(),
    )  # fmt: skip
    assert not outgoing.opted_out(db.session, "+4520998878", current_settings())


def test_the_hash_depends_on_the_configured_key(app):
    before = number_key(PHONE)
    change_settings(app, opt_out_key="a-dedicated-opt-out-key-of-32-characters!")
    assert number_key(PHONE) != before
