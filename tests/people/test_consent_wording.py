"""A new wording of a consent asks again where the law requires it; the history keeps each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging import broadcasts
from havehus.models import Consent
from havehus.people.audit import Actor
from havehus.people.consents import ASK_AGAIN, CURRENT_WORDING
from havehus.signup import my_record
from havehus.signup.services import has_consent, record_consent
from tests.conftest import DEFAULT_NOW
from tests.factories import add_participant
from tests.messaging.test_broadcasts import book, limits, make_session

NOW = DEFAULT_NOW
EARLIER = NOW - timedelta(days=200)


def _agreed_earlier(person, kind: str, wording: str) -> None:
    """The person agreed to the words of an earlier version."""
    db.session.add(
        Consent(participant_id=person.id, kind=kind, wording_version=wording, given_at=EARLIER)
    )
    db.session.commit()


def test_health_and_news_ask_again_texts_about_own_bookings_do_not():
    assert ASK_AGAIN == {"health", "marketing"}
    assert set(CURRENT_WORDING) == {"sms", "health", "marketing"}


def test_an_older_health_wording_counts_no_more_and_the_history_keeps_both(any_app, make_user):
    person = add_participant("Hodan", at=EARLIER, consents=())
    _agreed_earlier(person, "health", "health-2025-01")
    _agreed_earlier(person, "sms", "sms-2025-01")

    assert not has_consent(db.session, person, "health")  # asked again at the next booking
    assert has_consent(db.session, person, "sms")  # texts about her bookings go on

    record_consent(db.session, person, "health", NOW)  # she ticks the new words
    db.session.commit()
    assert has_consent(db.session, person, "health")
    rows = db.session.execute(
        select(Consent.wording_version, Consent.given_at, Consent.withdrawn_at)
        .where(Consent.kind == "health")
        .order_by(Consent.given_at)
    ).all()
    assert rows == [("health-2025-01", EARLIER, NOW), (CURRENT_WORDING["health"], NOW, None)]

    manager = Actor("user", make_user("manager").id, role="manager")
    history = my_record.record(db.session, person, NOW, manager, "json")
    health = [c for c in history["consents"] if c["kind"] == "health"]
    assert [(c["wording_version"], c["withdrawn_at"] is not None) for c in health] == [
        ("health-2025-01", True),
        (CURRENT_WORDING["health"], False),
    ]


def test_news_goes_only_to_people_who_agreed_to_the_current_words(any_app):
    session = make_session()
    current = add_participant("Asha", at=NOW, consents=("marketing",))
    older = add_participant("Nimco", at=NOW, consents=())
    _agreed_earlier(older, "marketing", "marketing-2025-01")
    book(session, current)
    book(session, older)
    db.session.commit()
    group = broadcasts.audience(
        db.session, broadcasts.Target(session.activity, session), "marketing", ["da"], NOW,
        limits(),
        current_settings(),
    )  # fmt: skip
    assert {r.participant.id for r in group.recipients} == {current.id}
