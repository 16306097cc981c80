"""Fixture plugin: a small program in ISO week 2026-W49 (30 Nov – 6 Dec), seen on 2 Dec."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from havehus.extensions import db
from havehus.models import Activity, Room, Session
from havehus.program.services import expand_horizon

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # Wednesday 12:00 in Copenhagen


@dataclass
class Program:
    garden: Activity
    dinner: Activity
    meeting: Activity
    vaccination: Activity

    def sessions(self, activity: Activity) -> list[Session]:
        return sorted(activity.sessions, key=lambda s: s.starts_at)


@pytest.fixture
def frozen_now(clock) -> datetime:
    """The app's clock at NOW, the Wednesday of the program's week."""
    clock.set(NOW)
    return NOW


@pytest.fixture
def program(app, make_location, make_activity, frozen_now) -> Program:
    house = make_location(address="Æblehaven 12, 4000 Roskilde")
    kitchen = Room(location=house, name="Køkkenet")
    db.session.add(kitchen)
    start = date(2026, 11, 2)
    garden = make_activity(
        slug="havefaellesskabet",
        title={"da": "Havefællesskabet", "en": "The garden community"},
        category="garden",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=start,
        start_time=time(10),
        location=house,
        spoken_languages=["da", "ar"],
    )
    dinner = make_activity(
        slug="sammen-om-maden",
        title={"da": "Sammen om maden", "en": "Cooking together"},
        category="food",
        mode="signup",
        capacity=20,
        rrule="FREQ=WEEKLY;BYDAY=TH",
        starts_on=start,
        start_time=time(17),
        duration_minutes=150,
        location=house,
        room=kitchen,
        food_served=True,
        childcare=True,
        price_text={"da": "20 kr.", "en": "20 kr"},
    )
    meeting = make_activity(
        slug="havehusmoede",
        title={"da": "Havehusmøde", "en": "Havehus meeting"},
        category="meeting",
        visibility="staff",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        starts_on=start,
        start_time=time(14),
    )
    vaccination = make_activity(
        slug="popup-vaccination",
        title={"da": "Pop-up vaccination", "en": "Pop-up vaccination"},
        category="health",
        mode="signup",
        capacity=2,
        sensitive=True,
        rrule="FREQ=WEEKLY;BYDAY=FR;BYHOUR=14;BYMINUTE=0,15",
        starts_on=start,
        start_time=time(14),
        duration_minutes=15,
    )
    expand_horizon(db.session, 6, frozen_now, CPH)
    db.session.commit()
    return Program(garden, dinner, meeting, vaccination)
