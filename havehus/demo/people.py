"""The demo's places, housing departments and people (all fictitious)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from havehus.models import Consent, Department, DepartmentPopulation, Location, Participant, Room
from havehus.orm import OrmSession
from havehus.signup.services import SMS_WORDING

#: How many weeks of made-up history the demo has (people joined just before it).
HISTORY_WEEKS = 12
#: (first name, preferred language): Danish, Arabic, Turkish, Somali and Urdu names.
NAMES: list[tuple[str, str]] = [
    ("Birthe", "da"),
    ("Jens", "da"),
    ("Lone", "da"),
    ("Henning", "da"),
    ("Kirsten", "da"),
    ("Poul", "da"),
    ("Inge", "da"),
    ("Bent", "da"),
    ("Hanne", "da"),
    ("Erik", "da"),
    ("Grethe", "da"),
    ("Ole", "da"),
    ("Susanne", "da"),
    ("Torben", "da"),
    ("Mette", "da"),
    ("Preben", "da"),
    ("Karin", "da"),
    ("Flemming", "da"),
    ("Jytte", "da"),
    ("Arne", "da"),
    ("Fatima", "ar"),
    ("Ahmad", "ar"),
    ("Mariam", "ar"),
    ("Khaled", "ar"),
    ("Leila", "ar"),
    ("Yousef", "ar"),
    ("Samira", "ar"),
    ("Omar", "ar"),
    ("Rania", "ar"),
    ("Hassan", "ar"),
    ("Ayşe", "tr"),
    ("Mehmet", "tr"),
    ("Fatma", "tr"),
    ("Mustafa", "tr"),
    ("Emine", "tr"),
    ("Hüseyin", "tr"),
    ("Zeynep", "tr"),
    ("İbrahim", "tr"),
    ("Hodan", "so"),
    ("Abdi", "so"),
    ("Faadumo", "so"),
    ("Mohamed", "so"),
    ("Ubah", "so"),
    ("Ayaan", "so"),
    ("Ismail", "so"),
    ("Sahra", "so"),
    ("Nasreen", "ur"),
    ("Imran", "ur"),
    ("Shazia", "ur"),
    ("Tariq", "ur"),
    ("Rubina", "ur"),
    ("Asif", "ur"),
    ("Bushra", "ur"),
    ("Anne", "en"),
    ("Kofi", "en"),
    ("Grace", "en"),
    ("Tomasz", "en"),
    ("Olena", "en"),
    ("Jørgen", "da"),
    ("Dorte", "da"),
]
CHANNEL_WEIGHTS = {
    "friend": 30,
    "drop-in": 25,
    "sundhedsformidler": 20,
    "housing-staff": 10,
    "social-henvisning": 8,
    "other": 7,
}


def create_places(orm: OrmSession) -> tuple[dict[str, Location], dict[str, Room]]:
    locations = {
        "havehuset": Location(
            slug="havehuset",
            name="Havehuset",
            address="Æblehaven 12, 4000 Roskilde",
            latitude=55.6367,
            longitude=12.0631,
        ),
        "faelleshaven": Location(
            slug="faelleshaven",
            name="Fælleshaven",
            address="Rønnebærparken 3, 4000 Roskilde",
            latitude=55.6372,
            longitude=12.0652,
        ),
        "parken": Location(
            slug="parken",
            name="Foran Havehuset",
            address="Æblehaven 12, 4000 Roskilde",
            latitude=55.6366,
            longitude=12.0629,
        ),
    }
    orm.add_all(locations.values())
    rooms = {
        name: Room(location=locations["havehuset"], name=name)
        for name in ("Køkkenet", "Stuen", "Mødelokalet", "Værkstedet")
    }
    orm.add_all(rooms.values())
    return locations, rooms


def create_departments(orm: OrmSession, year: int) -> list[Department]:
    # (slug, name, residents, adults); Kildegården gets fewer than 5 participants on purpose,
    # so reports show small-count suppression.
    data = [
        ("aeblehaven", "Æblehaven", 820, 610),
        ("roennebaerparken", "Rønnebærparken", 640, 470),
        ("skovbrynet", "Skovbrynet", 310, 230),
        ("kildegaarden", "Kildegården", 120, 90),
    ]
    departments = []
    for slug, name, residents, adults in data:
        department = Department(slug=slug, name=name)
        for offset, factor in ((1, 0.98), (0, 1.0)):
            department.populations.append(
                DepartmentPopulation(
                    year=year - offset,
                    residents=round(residents * factor),
                    adults=round(adults * factor),
                )
            )
        departments.append(department)
    orm.add_all(departments)
    return departments


def create_participants(
    orm: OrmSession, rng: random.Random, departments: list[Department], now: datetime
) -> list[Participant]:
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())
    people = []
    for index, (name, language) in enumerate(NAMES):
        if index in (5, 33, 47):  # three from the small department
            department: Department | None = departments[3]
        elif index % 17 == 16:
            department = None  # lives outside the area
        else:
            department = departments[index % 3]
        has_phone = index % 9 != 8
        participant = Participant(
            public_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            display_name=name,
            phone=f"+452099{index + 1:04d}" if has_phone else None,
            language=language,
            department=department,
            outside_area=department is None,
            birth_year=rng.randint(1940, 1993) if index % 7 else None,
            channel=rng.choices(channels, weights)[0],
            created_at=now - timedelta(weeks=HISTORY_WEEKS + 1),
        )
        if has_phone:
            participant.consents.append(
                Consent(kind="sms", wording_version=SMS_WORDING, given_at=participant.created_at)
            )
        people.append(participant)
    orm.add_all(people)
    return people
