"""The planner says a repeat rule in plain words, never as the raw RRULE."""

from __future__ import annotations

from datetime import date, time

import pytest
from flask_babel import force_locale

from havehus.extensions import db
from havehus.program.repeat import describe

#: A Wednesday.
FIRST_DAY = date(2026, 3, 4)


def _words(app, rule: str, start: time = time(14), minutes: int = 120) -> str:
    with app.test_request_context(), force_locale("en"):
        return describe(rule, FIRST_DAY, start, minutes)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=WE", "Every Wednesday, 14:00–16:00, from March 4, 2026"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Every other Tuesday, 14:00–16:00, from March 4, 2026"),
        (
            "FREQ=MONTHLY;BYDAY=1MO;COUNT=6",
            "The first Monday of the month, 14:00–16:00, from March 4, 2026, 6 times in all",
        ),
        ("FREQ=WEEKLY", "Every Wednesday, 14:00–16:00, from March 4, 2026"),
        (
            "FREQ=DAILY;UNTIL=20260331T235959",
            "Every day, 14:00–16:00, from March 4, 2026, until March 31, 2026",
        ),
    ],
)
def test_the_rules_the_planner_makes_are_said_in_words(app, rule, words):
    assert _words(app, rule) == words


def test_a_rule_with_an_hour_says_that_hour(app):
    words = _words(app, "FREQ=WEEKLY;BYDAY=WE;BYHOUR=10", start=time(14))
    assert words == "Every Wednesday, 10:00–12:00, from March 4, 2026"


def test_time_slots_are_counted_with_their_length_and_span(app):
    rule = "FREQ=WEEKLY;BYDAY=WE;BYHOUR=14,15;BYMINUTE=0,15,30,45"
    words = _words(app, rule, minutes=15)
    assert words == "Every Wednesday, 8 slots of 15 minutes, 14:00–16:00, from March 4, 2026"


@pytest.mark.parametrize(
    "rule",
    ["FREQ=YEARLY", "FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=WEEKLY;INTERVAL=3;BYDAY=FR;BYSETPOS=1"],
)
def test_any_other_rule_gets_general_words_not_the_rule(app, rule):
    words = _words(app, rule)
    assert words == "Repeats by another rule, 14:00–16:00, from March 4, 2026"


def test_the_activity_list_shows_a_slot_rule_in_danish_words(
    client, signed_in, walk, make_activity
):
    make_activity(
        slug="vaccination",
        title={"da": "Vaccination"},
        rrule="FREQ=WEEKLY;BYDAY=WE;BYHOUR=14,15;BYMINUTE=0,15,30,45",
        starts_on=FIRST_DAY,
        start_time=time(14),
        duration_minutes=15,
    )
    db.session.commit()
    signed_in("manager")
    page = client.get("/staff/activities").get_data(as_text=True)
    assert "Hver onsdag, 8 tider på 15 minutter, 14:00–16:00, fra 4. marts 2026" in page
    assert "FREQ=" not in page
