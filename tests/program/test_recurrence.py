"""Recurrence: RRULEs in Europe/Copenhagen become sessions stored in UTC, idempotently."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Closure, Session
from havehus.program.recurrence import expand_activity, parse_rule
from havehus.program.services import expand_horizon, program_version

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _sessions(activity_id: int) -> list[Session]:
    return list(
        db.session.scalars(
            select(Session).where(Session.activity_id == activity_id).order_by(Session.starts_at)
        )
    )


@pytest.mark.parametrize(
    ("first_day", "dst_change"),
    [(date(2026, 3, 17), date(2026, 3, 29)), (date(2026, 10, 13), date(2026, 10, 25))],
    ids=["spring-forward", "fall-back"],
)
def test_weekly_ten_oclock_stays_ten_oclock_across_dst(
    any_app, make_activity, first_day, dst_change
):
    activity = make_activity(rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=first_day, start_time=time(10))
    expand_activity(db.session, activity, date(first_day.year, 11, 30), NOW, CPH)
    db.session.commit()

    sessions = _sessions(activity.id)[:4]
    local_starts = [s.starts_at.astimezone(CPH) for s in sessions]
    assert [t.time() for t in local_starts] == [time(10)] * 4
    assert [t.weekday() for t in local_starts] == [1] * 4
    utc_hours = {s.starts_at.date() < dst_change: s.starts_at.hour for s in sessions}
    # Before and after the change the same wall-clock time is a different UTC hour.
    assert utc_hours[True] != utc_hours[False]
    assert all(s.ends_at.astimezone(CPH).time() == time(12) for s in sessions)


def test_times_are_stored_in_utc(any_app, make_activity):
    activity = make_activity(rrule="FREQ=WEEKLY;BYDAY=WE", starts_on=date(2026, 7, 1))
    expand_activity(db.session, activity, date(2026, 7, 1), NOW, CPH)
    db.session.commit()
    db.session.expire_all()

    (session,) = _sessions(activity.id)
    assert session.starts_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert session.starts_at.tzinfo is UTC


def test_expanding_twice_creates_nothing_new(any_app, make_activity):
    activity = make_activity(rrule="FREQ=WEEKLY;BYDAY=MO,FR", starts_on=date(2026, 3, 2))
    first = expand_activity(db.session, activity, date(2026, 4, 30), NOW, CPH)
    second = expand_activity(db.session, activity, date(2026, 4, 30), NOW, CPH)
    db.session.commit()

    assert first == 17  # 9 Mondays and 8 Fridays
    assert second == 0
    assert len(_sessions(activity.id)) == 17


def test_expanding_further_only_adds_the_new_weeks(any_app, make_activity):
    activity = make_activity(rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=date(2026, 3, 3))
    expand_activity(db.session, activity, date(2026, 3, 31), NOW, CPH)
    uids = {s.uid for s in _sessions(activity.id)}

    added = expand_activity(db.session, activity, date(2026, 4, 14), NOW, CPH)

    assert added == 2
    assert uids <= {s.uid for s in _sessions(activity.id)}


def test_time_slots_from_byhour_and_byminute(any_app, make_activity):
    activity = make_activity(
        rrule="FREQ=WEEKLY;BYDAY=WE;BYHOUR=14,15;BYMINUTE=0,15,30,45",
        starts_on=date(2026, 3, 4),
        start_time=time(14),
        duration_minutes=15,
        mode="signup",
        capacity=2,
    )
    expand_activity(db.session, activity, date(2026, 3, 4), NOW, CPH)

    starts = [s.starts_at.astimezone(CPH).strftime("%H:%M") for s in _sessions(activity.id)]
    assert starts == ["14:00", "14:15", "14:30", "14:45", "15:00", "15:15", "15:30", "15:45"]


def test_count_and_until_end_the_series(any_app, make_activity):
    counted = make_activity(rrule="FREQ=WEEKLY;COUNT=3", starts_on=date(2026, 3, 3))
    until = make_activity(rrule="FREQ=DAILY;UNTIL=20260305T235959", starts_on=date(2026, 3, 3))

    assert expand_activity(db.session, counted, date(2026, 12, 31), NOW, CPH) == 3
    assert expand_activity(db.session, until, date(2026, 12, 31), NOW, CPH) == 3


def test_an_unbounded_rule_is_capped(any_app, make_activity):
    activity = make_activity(rrule="FREQ=DAILY", starts_on=date(2026, 3, 1))
    created = expand_activity(db.session, activity, date(2099, 1, 1), NOW, CPH)
    assert created <= 3 * 366 + 1


def test_a_one_off_activity_has_one_session(any_app, make_activity):
    activity = make_activity(rrule=None, starts_on=date(2026, 5, 5), start_time=time(18, 30))
    assert expand_activity(db.session, activity, date(2026, 12, 31), NOW, CPH) == 1
    (session,) = _sessions(activity.id)
    assert session.starts_at.astimezone(CPH) == datetime(2026, 5, 5, 18, 30, tzinfo=CPH)


def test_archived_activities_are_not_expanded(any_app, make_activity):
    activity = make_activity(archived_at=NOW)
    assert expand_activity(db.session, activity, date(2026, 12, 31), NOW, CPH) == 0


def test_sessions_on_closed_days_are_created_cancelled(any_app, make_activity):
    db.session.add(
        Closure(
            starts_on=date(2026, 12, 21),
            ends_on=date(2027, 1, 1),
            reason={"da": "Juleferie", "en": "Christmas"},
            created_at=NOW,
        )
    )
    activity = make_activity(rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=date(2026, 12, 15))
    expand_activity(db.session, activity, date(2027, 1, 6), NOW, CPH)

    statuses = [(s.starts_at.date().isoformat(), s.status) for s in _sessions(activity.id)]
    assert statuses == [
        ("2026-12-15", "scheduled"),
        ("2026-12-22", "cancelled"),
        ("2026-12-29", "cancelled"),
        ("2027-01-05", "scheduled"),
    ]
    assert _sessions(activity.id)[1].cancel_reason == "Juleferie"


def test_expand_horizon_covers_all_activities_and_bumps_the_version(any_app, make_activity):
    make_activity(rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=date(2026, 3, 3))
    make_activity(rrule="FREQ=WEEKLY;BYDAY=TH", starts_on=date(2026, 3, 5))
    before = program_version(db.session)

    created = expand_horizon(db.session, 2, NOW, CPH)

    assert created == 4
    assert program_version(db.session) == before + 1
    assert expand_horizon(db.session, 2, NOW, CPH) == 0
    assert program_version(db.session) == before + 1
    assert db.session.scalar(select(func.count(Session.id))) == 4


@pytest.mark.parametrize("rule", ["", "FREQ=SOMETIMES", "BYDAY=XX;FREQ=WEEKLY", "RRULE:A\nB"])
def test_an_invalid_rule_is_refused_with_a_code(app, rule):
    with pytest.raises(HavehusError) as excinfo:
        parse_rule(rule, date(2026, 3, 3), time(10))
    assert excinfo.value.code == "invalid_rrule"


def test_the_rrule_prefix_is_accepted(app):
    rule = parse_rule("RRULE:FREQ=WEEKLY;BYDAY=TU", date(2026, 3, 3), time(10))
    assert rule[0] == datetime(2026, 3, 3, 10, 0)
