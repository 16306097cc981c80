"""The page's further figures, each as docs/indicators.md defines it: the reminder effect, seats
freed and refilled from the waiting list (through the real booking services), age bands, the
fill rate and the profile of who took part."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import OutboundMessage, Participant
from havehus.people.audit import Actor
from havehus.reports.charts import Chart, Series, svg
from havehus.reports.export import hide_small
from havehus.reports.indicators import gather, tabulate
from havehus.reports.measures import (
    age_band,
    fill_rate,
    profile,
    refills,
    reminder_effect,
    weekly_visits_by_category,
)
from havehus.reports.period import parse_period
from havehus.signup import services
from tests.factories import add_booking
from tests.reports.history import MADE_AT, QUARTER, build_history

CPH = ZoneInfo("Europe/Copenhagen")
PUBLIC = Actor("public")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return MADE_AT


def _person(number: int, **fields) -> Participant:
    person = Participant(
        public_id=f"m-{number}", display_name=f"P{number}", created_at=NOW, **fields
    )
    db.session.add(person)
    db.session.flush()
    return person


def _facts(first: date, last: date, now: datetime = MADE_AT):
    return gather(db.session, first, last, CPH, now)


def test_seats_freed_before_the_start_and_refilled_from_the_waiting_list(
    any_app, make_activity, make_session
):
    dinner = make_activity(mode="signup", capacity=2, category="food")
    evening = make_session(dinner, NOW + timedelta(days=3))
    a, b, c, d, e = (_person(n) for n in range(1, 6))
    first = services.book(
        db.session, evening, a, NOW, PUBLIC, source="web", settings=current_settings()
    ).booking
    late = services.book(
        db.session, evening, e, NOW, PUBLIC, source="web", settings=current_settings()
    ).booking
    services.book(
        db.session, evening, b, NOW, PUBLIC, source="web", guests=1, settings=current_settings()
    )  # waits: 2 seats
    services.book(
        db.session, evening, c, NOW, PUBLIC, source="web", settings=current_settings()
    )  # waits
    waiting = services.book(
        db.session, evening, d, NOW, PUBLIC, source="web", settings=current_settings()
    ).booking
    assert (first.status, late.status, waiting.status) == ("confirmed", "confirmed", "waitlisted")
    later = NOW + timedelta(hours=1)
    # a frees a seat: c, the first party that fits, gets it; d leaves the list (frees nothing).
    promoted = services.cancel(db.session, first, later, PUBLIC, current_settings())
    services.cancel(db.session, waiting, later, PUBLIC, current_settings())
    assert promoted is not None and promoted.participant_id == c.id
    assert promoted.promoted_at == later
    # e cancels after the start: not a seat freed in time.
    services.cancel(
        db.session, late, evening.starts_at + timedelta(minutes=5), PUBLIC, current_settings()
    )
    db.session.commit()

    day = evening.starts_at.astimezone(CPH).date()
    after = evening.starts_at + timedelta(hours=3)
    found = refills(db.session, _facts(day, day, after))

    assert (found.freed, found.refilled) == (1, 1)


def test_the_reminder_effect_splits_decided_bookings_by_a_delivered_reminder(
    any_app, make_activity, make_session
):
    dinner = make_activity(mode="signup", capacity=10)
    evening = make_session(dinner, NOW - timedelta(days=1))
    outcomes = ["attended", "attended", "no_show", "attended", "no_show", "no_show", "confirmed"]
    reminded = {0, 1, 2, 6}
    for n, status in enumerate(outcomes):
        booking = add_booking(evening, _person(n), status, at=NOW - timedelta(days=2))
        db.session.flush()
        for kind, state in (
            ("reminder", "delivered" if n in reminded else "failed"),
            ("confirmation", "delivered"),
        ):
            db.session.add(
                OutboundMessage(
                    to_phone=f"+451234567{n}", language="da", body="…", kind=kind,
                    booking_id=booking.id, session_id=evening.id, send_after=NOW,
                    created_at=NOW, status=state,
                )
            )  # fmt: skip
    db.session.commit()

    day = evening.starts_at.astimezone(CPH).date()
    effect = reminder_effect(db.session, _facts(day, day, NOW))

    assert (effect.reminded.attended, effect.reminded.decided) == (2, 3)
    assert (effect.not_reminded.attended, effect.not_reminded.decided) == (1, 3)


@pytest.mark.parametrize(
    ("born", "band"),
    [(None, "unknown"), (2009, "0-17"), (2008, "18-29"), (1997, "18-29"), (1996, "30-49"),
     (1962, "50-64"), (1961, "65+")],
)  # fmt: skip
def test_age_bands_are_the_age_reached_in_the_year(born, band):
    assert age_band(born, 2026) == band


def test_the_quarter_of_the_history(any_app):
    build_history()
    facts = _facts(*QUARTER)

    fill = fill_rate(facts)
    people = profile(facts)
    weekly = weekly_visits_by_category(facts)

    # Five held dinners of 30 seats; 31 seats booked (attended, guests and no-shows).
    assert (fill.sessions, fill.seats_booked, fill.capacity) == (5, 31, 150)
    # As the report by department counts them (person 28 of Afd. 33 never came).
    assert people.department == {
        "Afd. 11": 11, "Afd. 22": 10, "Afd. 33": 2, "outside the area": 2, "unknown": 1,
    }  # fmt: skip
    by_department = {row.group: row.unique_participants for row in tabulate(facts, "department")}
    assert all(by_department[name] == count for name, count in people.department.items())
    assert sum(people.language.values()) == sum(people.channel.values()) == 26
    assert people.age_band == {"unknown": 26}
    assert sum(sum(week.values()) for week in weekly.values()) == 79
    assert list(weekly)[0] == "2026-W01" and list(weekly)[-1] == "2026-W14"


def test_a_lone_small_count_takes_the_next_smallest_with_it():
    assert hide_small([3, 40, 12, 0]) == ["<5", 40, 12, "<5"]
    assert hide_small([3, 2, 9]) == ["<5", "<5", 9]


def test_a_chart_is_plain_svg_hidden_from_screen_readers_with_small_counts_marked():
    drawing = svg(Chart("Visits", ["2026-01", "2026-02"], [Series("Food", ["<5", 12])]))

    assert drawing.startswith("<svg") and 'aria-hidden="true"' in drawing
    assert "style" not in drawing and "<script" not in drawing
    assert drawing.count("<rect") == 1 and "&lt;5" in drawing


@pytest.mark.parametrize(
    ("args", "first", "last"),
    [
        ({}, date(2026, 4, 1), date(2026, 6, 30)),  # this quarter
        ({"period": "week", "week": "2026-W01"}, date(2025, 12, 29), date(2026, 1, 4)),
        ({"period": "month", "month": "2024-02"}, date(2024, 2, 1), date(2024, 2, 29)),
        ({"period": "quarter", "quarter": "2026-Q4"}, date(2026, 10, 1), date(2026, 12, 31)),
        ({"period": "year"}, date(2026, 1, 1), date(2026, 12, 31)),
        ({"period": "custom", "from": "2026-03-05", "to": "2026-03-05"},
         date(2026, 3, 5), date(2026, 3, 5)),
    ],
)  # fmt: skip
def test_the_period_picker(app, args, first, last):
    with app.test_request_context():
        period = parse_period(args, date(2026, 5, 4))

    assert (period.first, period.last) == (first, last)
