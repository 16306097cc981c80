"""Sessions on tonight, with people booked, for host mode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from havehus.extensions import db
from havehus.models import Booking, Participant, Session
from tests.conftest import DEFAULT_NOW, PinnedClock
from tests.factories import add_booking, add_participant


@pytest.fixture
def tonight(make_activity, make_session, clock: PinnedClock) -> Callable[..., Session]:
    """A session that began 30 minutes ago (by the test's clock), with the people named booked."""

    def make(*names: str, capacity: int = 10, sensitive: bool = False, **fields) -> Session:
        activity = make_activity(
            mode=fields.pop("mode", "signup"),
            capacity=capacity,
            waitlist_enabled=True,
            sensitive=sensitive,
            category="health" if sensitive else "food",
            title={"da": "Sammen om maden", "en": "Cooking together"},
            **fields,
        )
        session = make_session(activity, clock.now - timedelta(minutes=30), minutes=150)
        for name in names:
            add_booking(session, add_participant(name, at=DEFAULT_NOW), at=DEFAULT_NOW)
        db.session.commit()
        return session

    return make


def booking_of(session: Session, name: str) -> Booking:
    return next(
        b
        for b in db.session.query(Booking).filter_by(session_id=session.id)
        if b.participant.display_name == name
    )


def person(name: str) -> Participant:
    return add_participant(name, at=DEFAULT_NOW)
