"""Fixtures of the messaging tests: people with consent, and sessions with bookings."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Participant
from havehus.people.audit import CLI
from havehus.signup.services import book, record_consent
from tests.factories import add_participant
from tests.messaging.test_reminders import JOINED, START


@pytest.fixture
def person():
    def make(language: str = "da") -> Participant:
        return add_participant(at=JOINED, language=language)

    return make


@pytest.fixture
def booked(make_activity, make_session, person):
    """A session at `starts_at` with `people` confirmed bookings; returns (session, bookings)."""

    def make(starts_at: datetime = START, people: int = 1, *, offsets=(1440, 180), **fields):
        activity = make_activity(
            mode=fields.pop("mode", "signup"),
            capacity=10,
            title={"da": "Sammen om maden", "en": "Cooking together"},
            reminder_offsets=list(offsets),
            **fields,
        )
        session = make_session(activity, starts_at)
        bookings = []
        for _ in range(people):
            someone = person()
            if activity.sensitive:
                record_consent(db.session, someone, "health", JOINED)
            result = book(
                db.session, session, someone, starts_at - timedelta(days=5), CLI,
                source="staff", notify=False,
                settings=current_settings(),
            )  # fmt: skip
            bookings.append(result.booking)
        db.session.commit()
        return session, bookings

    return make
