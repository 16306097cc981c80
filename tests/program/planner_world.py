"""A small planning world: one weekly walk with past and coming sessions, people, bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from havehus.extensions import db
from havehus.models import Activity, Booking, Location, Participant, Room, Session, Tally
from havehus.people.audit import Actor
from havehus.program.recurrence import expand_activity, horizon_until
from tests.factories import add_booking, add_participant

CPH = ZoneInfo("Europe/Copenhagen")
#: Monday 2 March 2026, 12:00 in Copenhagen.
NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
HORIZON_WEEKS = 4
MANAGER = Actor("cli")


@dataclass
class World:
    house: Location
    hall: Room
    kitchen: Room
    walk: Activity

    def session_on(self, day: date) -> Session:
        (found,) = [s for s in self.walk.sessions if s.starts_at.astimezone(CPH).date() == day]
        return found


def person(phone: str | None = "auto", language: str = "da") -> Participant:
    return add_participant(at=NOW, phone=phone, language=language, consents=())


def book(session: Session, who: Participant, status: str = "confirmed") -> Booking:
    return add_booking(session, who, status, at=NOW)


def build_world() -> World:
    house = Location(slug="havehuset", name="Havehuset", address="Æblehaven 12")
    hall = Room(location=house, name="Salen")
    kitchen = Room(location=house, name="Køkkenet")
    walk = Activity(
        slug="gaa-tur",
        title={"da": "Gå-tur", "en": "Walk"},
        category="walking",
        mode="signup",
        capacity=10,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 2, 3),
        start_time=time(10),
        duration_minutes=120,
        location=house,
        room=hall,
        created_at=NOW,
        updated_at=NOW,
    )
    db.session.add_all([house, hall, kitchen, walk])
    db.session.flush()
    expand_activity(db.session, walk, horizon_until(NOW, CPH, HORIZON_WEEKS), NOW, CPH)
    db.session.flush()
    db.session.refresh(walk)
    world = World(house, hall, kitchen, walk)
    past = world.session_on(date(2026, 2, 24))
    book(past, person(), "attended")
    db.session.add(Tally(session=past, kind="adults", count=4, updated_at=NOW))
    db.session.flush()
    return world
