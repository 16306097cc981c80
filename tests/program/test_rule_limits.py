"""A repeat rule asks only for what an activity program needs, and is read before it is walked.

Every door checks the same limits: the planner's form (its preview and its save), the program
API (create and change) and the horizon job, which leaves a stored rule beyond them alone.
"""

from __future__ import annotations

import logging
from datetime import date, time

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Activity, Session
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.program.activities import create_activity
from havehus.program.activity_data import ActivityData
from havehus.program.recurrence import parse_rule
from havehus.program.rule_limits import MAX_SESSIONS, count_sessions
from havehus.program.services import expand_horizon
from tests.program.planner_world import CPH, HORIZON_WEEKS, MANAGER, NOW
from tests.staff_fixtures import post_form

#: A Wednesday, two days after NOW.
FIRST_DAY = date(2026, 3, 4)


def _refusal(rule: str, starts_on: date = FIRST_DAY) -> HavehusError:
    with force_locale("en"), pytest.raises(HavehusError) as caught:
        parse_rule(rule, starts_on, time(10))
    assert caught.value.code == "invalid_rrule"
    return caught.value


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MINUTELY", "at most daily"),
        ("FREQ=SECONDLY;BYHOUR=10", "at most daily"),
        ("FREQ=HOURLY;INTERVAL=2", "at most daily"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL is a whole number"),
        ("FREQ=WEEKLY;INTERVAL=1000", "INTERVAL is a whole number"),
        ("FREQ=DAILY;COUNT=100000", "COUNT is a whole number"),
        ("FREQ=DAILY;FREQ=MINUTELY", "gives FREQ twice"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "BYMONTHDAY takes days 1 to 28"),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "not both"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "every few days"),
        ("FREQ=WEEKLY;BYDAY=1MO", "belongs in a monthly rule"),
        ("FREQ=MONTHLY;BYDAY=5MO", "1 to 4"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5", "BYSETPOS is 1 to 4"),
        ("FREQ=WEEKLY;BYMONTH=6", "BYMONTH belongs in a yearly rule"),
        ("FREQ=YEARLY;BYYEARDAY=100", "cannot use BYYEARDAY"),
        ("FREQ=YEARLY;BYWEEKNO=20", "cannot use BYWEEKNO"),
        ("FREQ=YEARLY;BYEASTER=0", "cannot use BYEASTER"),
        ("FREQ=DAILY;BYHOUR=8,9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", "At most 24 time slots"),
        ("FREQ=DAILY;BYSECOND=30", "BYSECOND can only be 0"),
        ("FREQ=DAILY;UNTIL=2026-04-01", "Write UNTIL"),
        ("FREQ", "NAME=VALUE"),
    ],
)
def test_a_rule_beyond_an_activity_programs_needs_is_refused_before_it_is_walked(app, rule, words):
    assert words in _refusal(rule).message


def test_a_yearly_rule_on_a_day_some_months_lack_needs_its_day(app):
    error = _refusal("FREQ=YEARLY;BYMONTH=2,3", starts_on=date(2026, 3, 30))
    assert "Not every month has day 30" in error.message


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=WE;BYHOUR=14,15;BYMINUTE=0,15,30,45",  # 8 vaccination slots
        "FREQ=DAILY",
        "freq=daily;byday=mo,tu,we,th,fr",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=MO",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=YEARLY;BYMONTH=6,7,8;BYDAY=TU",
        "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
        "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9,16;BYMINUTE=0",
        "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261231T235959",
        "RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=6",
    ],
)
def test_the_rules_a_program_uses_are_accepted(app, rule):
    assert 1 <= count_sessions(parse_rule(rule, FIRST_DAY, time(10)), FIRST_DAY) <= MAX_SESSIONS


def test_counting_the_sessions_stops_just_past_the_limit(app):
    many = parse_rule("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16", FIRST_DAY, time(10))
    assert count_sessions(many, FIRST_DAY) == MAX_SESSIONS + 1


def _data(rule: str) -> ActivityData:
    return ActivityData(
        slug="aabent-hus",
        title={"da": "Åbent hus"},
        category="other",
        rrule=rule,
        starts_on=FIRST_DAY,
        start_time=time(10),
        duration_minutes=60,
    )


def test_a_daily_open_house_for_three_years_fits(app):
    activity, summary = create_activity(
        db.session,
        _data("FREQ=DAILY;UNTIL=20290303T235959"),
        NOW,
        MANAGER,
        tz=CPH,
        horizon_weeks=HORIZON_WEEKS,
    )
    assert activity.id is not None and summary.created > 0


def test_two_sessions_a_day_for_ever_are_too_many_for_the_horizon(app):
    with force_locale("en"), pytest.raises(HavehusError) as caught:
        create_activity(
            db.session,
            _data("FREQ=DAILY;BYHOUR=10,14"),
            NOW,
            MANAGER,
            tz=CPH,
            horizon_weeks=HORIZON_WEEKS,
        )
    assert "more than 1500 sessions within three years" in caught.value.fields["rrule"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Session)) == 0


def test_the_horizon_job_leaves_a_stored_rule_beyond_the_limits_and_expands_the_rest(
    app, make_activity, caplog
):
    # Saved before the limits existed: the job neither walks it nor stalls on it.
    make_activity(slug="every-minute", rrule="FREQ=MINUTELY", starts_on=FIRST_DAY)
    make_activity(slug="twice-a-day", rrule="FREQ=DAILY;BYHOUR=10,14", starts_on=FIRST_DAY)
    weekly = make_activity(slug="weekly", rrule="FREQ=WEEKLY;BYDAY=WE", starts_on=FIRST_DAY)
    db.session.commit()

    with caplog.at_level(logging.WARNING, logger="havehus.program"):
        created = expand_horizon(db.session, 2, NOW, CPH)

    assert created == 2  # the two coming Wednesdays of the weekly activity only
    sessions = db.session.scalars(select(Session.activity_id)).all()
    assert set(sessions) == {weekly.id}
    refused = [r.getMessage() for r in caplog.records if r.name == "havehus.program"]
    assert len(refused) == 2
    assert any("every-minute" in message for message in refused)


# ---------------------------------------------------------------- the doors


@pytest.fixture
def manager_token(app) -> dict[str, str]:
    _row, raw = create_api_token(db.session, "manager system", "manager", NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


SPROGHJAELP = {
    "slug": "sproghjaelp",
    "title": {"da": "Sproghjælp"},
    "category": "language",
    "mode": "drop_in",
    "rrule": "FREQ=WEEKLY;BYDAY=WE",
    "starts_on": "2026-03-04",
    "start_time": "14:00",
    "duration_minutes": 120,
}


@pytest.mark.parametrize("rule", ["FREQ=MINUTELY", "FREQ=DAILY;INTERVAL=0"])
def test_the_api_refuses_the_rule_on_create_with_422_on_the_field(
    client, frozen, manager_token, rule
):
    body = {**SPROGHJAELP, "rrule": rule}
    response = client.post("/api/v1/activities", json=body, headers=manager_token)
    assert response.status_code == 422
    assert response.json["code"] == "invalid"
    assert "rrule" in response.json["fields"]
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    assert db.session.scalar(select(func.count()).select_from(Session)) == 0


def test_the_api_refuses_the_rule_on_a_change_and_keeps_the_sessions(client, frozen, manager_token):
    created = client.post("/api/v1/activities", json=SPROGHJAELP, headers=manager_token)
    assert created.status_code == 201
    before = db.session.scalar(select(func.count()).select_from(Session))
    response = client.patch(
        "/api/v1/activities/sproghjaelp",
        json={"rrule": "FREQ=SECONDLY"},
        headers=manager_token,
    )
    assert response.status_code == 422
    assert "højst dagligt" in response.json["fields"]["rrule"]
    db.session.expire_all()
    assert db.session.scalar(select(Activity.rrule)) == "FREQ=WEEKLY;BYDAY=WE"
    assert db.session.scalar(select(func.count()).select_from(Session)) == before


def _form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "title_da": "Åbent hus",
        "slug": "aabent-hus",
        "category": "other",
        "activity_type": "open_house",
        "location": "0",
        "room": "0",
        "mode": "drop_in",
        "offer_policy": "immediate",
        "offer_hold_hours": "12",
        "reminder_hours": "24, 3",
        "visibility": "public",
        "starts_on": "2026-03-04",
        "start_time": "10:00",
        "end_time": "11:00",
        "repeat": "custom",
        "month_week": "1",
        "end_kind": "never",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("button", ["preview", "save"])
@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=MINUTELY", "højst dagligt"),
        ("FREQ=DAILY;BYHOUR=10,14", "mere end 1500 gange inden for tre år"),
    ],
)
def test_the_planner_form_shows_the_refusal_next_to_the_rule(
    client, signed_in, frozen, button, rule, words
):
    signed_in("manager")
    response = post_form(client, "/staff/activities/new", **_form(rule=rule, **{button: "1"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="rule-error"' in page
    assert words in page
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_the_plain_words_editor_every_day_of_the_week_for_ever_is_accepted(
    client, signed_in, frozen
):
    signed_in("manager")
    every_day = [str(day) for day in range(7)]
    form = _form(repeat="weekly", weekdays=every_day, save="1")
    response = post_form(client, "/staff/activities/new", **form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalar(select(Activity))
    assert created.rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"
