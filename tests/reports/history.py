"""A hand-built history for the report fixtures: 32 people, three departments (one with fewer
than five participants), people from outside the area and of no recorded department, dinners
with no-shows and a cancelled evening, drop-ins with named check-ins and head counts, an
erased person, and sessions on both sides of the quarter's boundaries — including one that
starts 00:30 on 1 January, which is still 31 December in UTC.

Every figure of tests/reports/expected/*.csv can be recounted from the tables below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from havehus.extensions import db
from havehus.models import (
    Activity,
    Department,
    DepartmentPopulation,
    Location,
    Participant,
    Session,
    Tally,
    Visit,
)
from tests.factories import add_booking

CPH = ZoneInfo("Europe/Copenhagen")
#: The report is made on this day (everything in the history lies before it).
MADE_AT = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
QUARTER = (date(2026, 1, 1), date(2026, 3, 31))

#: Person number → department ("11", "22", "33"; "out": outside the area; None: unknown).
DEPARTMENTS: dict[int, str | None] = {
    **{n: "11" for n in range(1, 13)},  # 12 people
    **{n: "22" for n in range(13, 27)},  # 14 people
    **{n: "33" for n in (27, 28, 29)},  # 3 people: a group too small to show
    30: "out",
    31: "out",
    32: None,
}
#: Residents aged 18 or more in 2026 (and in all), per department.
ADULTS = {"11": (180, 240), "22": (220, 300), "33": (60, 75)}
#: Person 9 asked to be erased: a pseudonymous row stays, so the counts stay true.
ERASED = 9

# (activity, local day, start, status, came (person: guests), no-shows)
DINNERS = [
    ("2025-12-10", "17:00", "scheduled", {1: 0, 2: 0, 3: 0}, [4]),
    ("2026-01-01", "00:30", "scheduled", {5: 2, 6: 0}, []),
    ("2026-01-14", "17:00", "scheduled", {1: 0, 7: 0, 8: 0, 9: 0, 10: 0}, [11, 12]),
    ("2026-02-11", "17:00", "scheduled", {1: 0, 2: 0, 7: 0, 13: 0, 14: 0, 15: 0}, [16]),
    ("2026-02-25", "17:00", "cancelled", {}, []),
    ("2026-03-11", "17:00", "scheduled", {13: 1, 17: 0, 18: 0, 27: 0, 30: 0}, [19, 28]),
    ("2026-03-31", "23:30", "scheduled", {17: 0, 20: 0, 21: 0, 22: 0}, [23]),
    ("2026-04-01", "17:00", "scheduled", {24: 0, 25: 0}, []),
]
# (local day, named walk-ins, head counts: adults, children, first-timers)
GARDEN = [
    ("2025-12-13", [26], (2, 0, 0)),
    ("2026-01-10", [1, 26, 29, 32], (4, 2, 1)),
    ("2026-02-07", [2, 3, 26, 31], (6, 1, 2)),
    ("2026-03-07", [3, 26, 27, 29, 32], (3, 0, 0)),
    ("2026-03-28", [], (5, 3, 1)),
    ("2026-04-04", [26], (2, 0, 0)),
]
KNITTING = [
    ("2026-01-20", [10, 11, 12, 14], (1, 0, 1)),
    ("2026-02-17", [10, 11, 12, 14, 16, 9], (0, 0, 0)),
    ("2026-03-17", [10, 12, 14, 16], (2, 0, 0)),
]


def _at(day: str, start: str) -> datetime:
    local = datetime.combine(date.fromisoformat(day), time.fromisoformat(start), tzinfo=CPH)
    return local.astimezone(UTC)


def build_history() -> None:
    made = datetime(2025, 11, 1, tzinfo=UTC)
    house = Location(slug="havehuset", name="Havehuset", address="Æblehaven 12")
    db.session.add(house)
    departments = {}
    for code, (adults, residents) in ADULTS.items():
        department = Department(slug=f"afd-{code}", name=f"Afd. {code}")
        department.populations = [
            DepartmentPopulation(year=2026, adults=adults, residents=residents)
        ]
        departments[code] = department
    db.session.add_all(departments.values())
    people = {}
    for number, where in DEPARTMENTS.items():
        person = Participant(
            public_id=f"history-{number:02d}",
            display_name=f"Person {number:02d}",
            language="da",
            department=departments.get(where or ""),
            outside_area=where == "out",
            created_at=made,
        )
        people[number] = person
    db.session.add_all(people.values())
    db.session.flush()

    def activity(slug: str, category: str, mode: str) -> Activity:
        found = Activity(
            slug=slug,
            title={"da": slug},
            summary={},
            category=category,
            mode=mode,
            capacity=30 if mode == "signup" else None,
            location=house,
            rrule="",
            starts_on=date(2025, 12, 1),
            start_time=time(17, 0),
            duration_minutes=120,
            created_at=made,
            updated_at=made,
        )
        db.session.add(found)
        return found

    dinner = activity("sammen-om-maden", "food", "signup")
    garden = activity("havefaellesskabet", "garden", "drop_in")
    knitting = activity("norklecafe", "crafts", "drop_in")
    db.session.flush()

    def session(kind: Activity, day: str, start: str, status: str = "scheduled") -> Session:
        starts = _at(day, start)
        found = Session(
            activity=kind,
            uid=f"{kind.slug}-{day}@history",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            status=status,
            created_at=made,
            updated_at=made,
        )
        db.session.add(found)
        db.session.flush()
        return found

    for day, start, status, came, no_shows in DINNERS:
        evening = session(dinner, day, start, status)
        for number, guests in came.items():
            add_booking(evening, people[number], "attended", at=made, guests=guests)
        for number in no_shows:
            add_booking(evening, people[number], "no_show", at=made)
    for kind, days in ((garden, GARDEN), (knitting, KNITTING)):
        for day, named, (adults, children, first_timers) in days:
            held = session(kind, day, "10:00")
            for number in named:
                db.session.add(
                    Visit(
                        session=held, participant=people[number], source="kiosk", at=held.starts_at
                    )
                )
            for tally_kind, count in (
                ("adults", adults),
                ("children", children),
                ("first_timers", first_timers),
            ):
                if count:
                    db.session.add(
                        Tally(session=held, kind=tally_kind, count=count, updated_at=held.ends_at)
                    )
    erased = people[ERASED]
    erased.display_name, erased.anonymised_at = "", datetime(2026, 4, 1, tzinfo=UTC)
    db.session.commit()
