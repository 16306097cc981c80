"""Factories for sign-up tests: a bookable session in the future and participants."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest

from havehus.extensions import db
from havehus.models import Participant, Session
from tests.conftest import DEFAULT_NOW
from tests.factories import add_participant

#: Well ahead of the tests' clock, so sign-up is open.
NOW = DEFAULT_NOW


@pytest.fixture
def make_person() -> Callable[..., Participant]:
    def make(name: str | None = None, *, phone: str | None = "auto", consent: bool = True,
             language: str = "da", health: bool = False) -> Participant:  # fmt: skip
        # health: agreed that a health appointment of theirs is registered
        consents = [kind for kind, given in (("sms", consent), ("health", health)) if given]
        return add_participant(name, at=NOW, phone=phone, language=language, consents=consents)

    return make


@pytest.fixture
def bookable(make_activity, make_session, make_location) -> Callable[..., Session]:
    """A sign-up session two days ahead with the given capacity."""
    counter = itertools.count(1)

    def make(capacity: int = 3, *, waitlist: bool = True, **activity_fields) -> Session:
        activity = make_activity(
            mode="signup",
            capacity=capacity,
            waitlist_enabled=waitlist,
            category=activity_fields.pop("category", "food"),
            title=activity_fields.pop("title", {"da": "Sammen om maden", "en": "Cooking together"}),
            location=make_location(slug=f"house-{next(counter)}"),
            **activity_fields,
        )
        session = make_session(activity, NOW + timedelta(days=2))
        db.session.commit()
        return session

    return make
