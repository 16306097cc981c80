"""Planner services: validation, locking, exceptions, closures, copying, conflicts, notices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select, update

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Activity, AuditEvent, OutboundMessage, Session, StaffUser
from havehus.people.services import create_staff_user
from havehus.program.activities import archive_activity, create_activity, update_activity
from havehus.program.activity_data import ActivityData, activity_data
from havehus.program.calendar_info import danish_holidays, islamic_dates
from havehus.program.closures import closure_sessions, create_closure, preview_closure
from havehus.program.copy_week import copy_week, copy_week_preview
from havehus.program.series import SeriesChange, edit_series
from havehus.program.services import program_version
from havehus.program.sessions import (
    add_session,
    assign_hosts,
    cancel_session,
    move_session,
    reinstate_session,
)
from havehus.program.week import planner_week
from tests.program.planner_world import (
    CPH,
    HORIZON_WEEKS,
    MANAGER,
    NOW,
    book,
    build_world,
    person,
)


@pytest.fixture
def world(app):
    built = build_world()
    db.session.commit()
    return built


def _data(**fields) -> ActivityData:
    values = {
        "slug": "sproghjaelp",
        "title": {"da": "Sproghjælp", "en": ""},
        "category": "language",
        "rrule": "FREQ=WEEKLY;BYDAY=WE",
        "starts_on": date(2026, 3, 4),
        "start_time": time(14),
        "duration_minutes": 120,
    }
    values.update(fields)
    return ActivityData(**values)


def _create(data: ActivityData) -> Activity:
    activity, _summary = create_activity(
        db.session, data, NOW, MANAGER, tz=CPH, horizon_weeks=HORIZON_WEEKS
    )
    db.session.commit()
    return activity


def _fields_of(data: ActivityData) -> dict[str, str]:
    with pytest.raises(HavehusError) as caught:
        _create(data)
    db.session.rollback()
    return caught.value.fields


def _local(session: Session) -> datetime:
    return session.starts_at.astimezone(CPH)


# ---------------------------------------------------------------- creating and validating


def test_creating_expands_to_the_horizon_audits_and_bumps_the_version(world):
    before = program_version(db.session)
    activity = _create(_data())
    starts = [_local(s) for s in activity.sessions]
    assert starts[0] == datetime(2026, 3, 4, 14, tzinfo=CPH)
    assert starts[-1].date() == date(2026, 4, 1)  # the horizon's last week
    assert {s.hour for s in starts} == {14}  # also after the switch to summer time
    assert program_version(db.session) > before
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "activity.create"
    )


def test_empty_translations_are_dropped_not_stored(world):
    activity = _create(_data())
    assert activity.title == {"da": "Sproghjælp"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": {"en": "Language help"}}, "title"),
        ({"slug": "Sprog Hjælp"}, "slug"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20260301T235959"}, "ends_on"),
        ({"duration_minutes": -30}, "duration_minutes"),
        ({"starts_on": date(2026, 2, 1)}, "starts_on"),
        ({"mode": "signup", "capacity": None}, "capacity"),
        ({"sensitive": True}, "neutral_title"),
        ({"pictogram": "../../etc/passwd"}, "pictogram"),
        ({"category": "bingo"}, "category"),
        ({"reminder_offsets": [60 * 24 * 30]}, "reminder_offsets"),
        ({"spoken_languages": ["Danish!"]}, "spoken_languages"),
    ],
    ids=[
        "no-danish-title",
        "bad-slug",
        "invalid-rrule",
        "rule-never-happens",
        "end-before-start",
        "end-before-start-time",
        "first-day-in-past",
        "signup-without-seats",
        "sensitive-without-neutral-wording",
        "unknown-pictogram",
        "unknown-category",
        "reminder-too-early",
        "bad-language-code",
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(world, fields, field):
    assert field in _fields_of(_data(**fields))
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_a_taken_slug_is_refused_with_code_exists(world):
    with pytest.raises(HavehusError) as caught:
        _create(_data(slug="gaa-tur"))
    assert caught.value.code == "exists"
    assert "slug" in caught.value.fields


def test_capacity_cannot_go_below_the_seats_already_taken(world):
    session = world.session_on(date(2026, 3, 10))
    for number in range(3):
        book(session, person(f"+452000010{number}"))
    db.session.commit()
    data = replace(activity_data(world.walk), capacity=2)
    with pytest.raises(HavehusError) as caught:
        update_activity(
            db.session,
            world.walk,
            data,
            NOW,
            MANAGER,
            expected_version=world.walk.version,
            tz=CPH,
            horizon_weeks=HORIZON_WEEKS,
            settings=current_settings(),
        )
    assert "capacity" in caught.value.fields


# ---------------------------------------------------------------- two managers at once


def test_saving_an_older_version_is_refused_as_a_conflict(world):
    data = activity_data(world.walk)
    old_version = world.walk.version
    update_activity(
        db.session,
        world.walk,
        replace(data, title={"da": "Gå-tur i parken"}),
        NOW,
        MANAGER,
        expected_version=old_version,
        tz=CPH,
        horizon_weeks=HORIZON_WEEKS,
        settings=current_settings(),
    )
    db.session.commit()
    with pytest.raises(HavehusError) as caught:
        update_activity(
            db.session,
            world.walk,
            replace(data, title={"da": "Gå-tur ved søen"}),
            NOW,
            MANAGER,
            expected_version=old_version,
            tz=CPH,
            horizon_weeks=HORIZON_WEEKS,
            settings=current_settings(),
        )
    assert caught.value.code == "conflict"


def test_a_save_racing_another_process_is_refused_as_a_conflict(world):
    version = world.walk.version
    # Another process saves between our read and our write.
    db.session.execute(
        update(Activity).where(Activity.id == world.walk.id).values(version=version + 1)
    )
    with pytest.raises(HavehusError) as caught:
        update_activity(
            db.session,
            world.walk,
            replace(activity_data(world.walk), title={"da": "Gå-tur i skoven"}),
            NOW,
            MANAGER,
            expected_version=version,
            tz=CPH,
            horizon_weeks=HORIZON_WEEKS,
            settings=current_settings(),
        )
    assert caught.value.code == "conflict"


# ---------------------------------------------------------------- notices


def test_a_notice_is_written_in_the_persons_language(world):
    session = world.session_on(date(2026, 3, 10))
    book(session, person("+4520000001", "da"))
    book(session, person("+4520000002", "en"))
    cancel_session(db.session, session, "Storm", NOW, MANAGER, tz=CPH, settings=current_settings())
    db.session.commit()
    bodies = dict(db.session.execute(select(OutboundMessage.language, OutboundMessage.body)).all())
    assert bodies["da"] == "Aflyst: Gå-tur, tirsdag den 10. marts 10:00. Storm"
    assert bodies["en"] == "Cancelled: Walk, Tuesday, 10 March 10:00. Storm"


def test_a_sensitive_activity_is_named_neutrally_in_notices(world):
    world.walk.sensitive = True
    world.walk.neutral_title = {"da": "Aftale i Havehuset"}
    session = world.session_on(date(2026, 3, 10))
    book(session, person())
    move_session(
        db.session,
        session,
        date(2026, 3, 10),
        time(11),
        time(13),
        None,
        NOW,
        MANAGER,
        tz=CPH,
        expected_sequence=0,
        settings=current_settings(),
    )
    body = db.session.scalar(select(OutboundMessage.body))
    assert "Aftale i Havehuset" in body and "Gå-tur" not in body
    assert "11:00" in body and "10:00" in body


# ---------------------------------------------------------------- one session


def test_moving_across_the_switch_to_summer_time_keeps_the_wall_clock(world):
    session = world.session_on(date(2026, 3, 24))
    move_session(
        db.session,
        session,
        date(2026, 3, 31),
        time(10),
        time(12),
        None,
        NOW,
        MANAGER,
        tz=CPH,
        expected_sequence=0,
        settings=current_settings(),
    )
    assert _local(session) == datetime(2026, 3, 31, 10, tzinfo=CPH)
    assert session.starts_at.hour == 8  # UTC+2 after 29 March
    assert session.sequence == 1


def test_moving_with_a_stale_sequence_is_a_conflict(world):
    session = world.session_on(date(2026, 3, 10))
    with pytest.raises(HavehusError) as caught:
        move_session(
            db.session,
            session,
            date(2026, 3, 10),
            time(11),
            time(12),
            None,
            NOW,
            MANAGER,
            tz=CPH,
            expected_sequence=5,
            settings=current_settings(),
        )
    assert caught.value.code == "conflict"


def test_cancelling_twice_or_in_the_past_is_refused(world):
    session = world.session_on(date(2026, 3, 10))
    cancel_session(db.session, session, "Storm", NOW, MANAGER, tz=CPH, settings=current_settings())
    with pytest.raises(HavehusError) as twice:
        cancel_session(
            db.session, session, "Storm", NOW, MANAGER, tz=CPH, settings=current_settings()
        )
    past = world.session_on(date(2026, 2, 24))
    with pytest.raises(HavehusError) as too_late:
        cancel_session(db.session, past, "Storm", NOW, MANAGER, tz=CPH, settings=current_settings())
    assert (twice.value.code, too_late.value.code) == ("already_cancelled", "past")


def test_a_reinstated_session_takes_place_with_a_new_sequence(world):
    session = world.session_on(date(2026, 3, 10))
    cancel_session(db.session, session, "Storm", NOW, MANAGER, tz=CPH, settings=current_settings())
    reinstate_session(db.session, session, NOW, MANAGER, tz=CPH, settings=current_settings())
    assert (session.status, session.cancel_reason, session.sequence) == ("scheduled", None, 2)


def test_a_one_off_session_is_added_outside_the_pattern(world):
    session, _summary = add_session(
        db.session, world.walk, date(2026, 3, 12), time(18), time(19), None, NOW, MANAGER, tz=CPH
    )
    assert session.occurrence_start is None
    assert _local(session) == datetime(2026, 3, 12, 18, tzinfo=CPH)


def test_a_one_off_activity_has_exactly_one_session(world):
    activity = _create(_data(slug="sommerfest", rrule=None, starts_on=date(2026, 3, 21)))
    assert [_local(s) for s in activity.sessions] == [datetime(2026, 3, 21, 14, tzinfo=CPH)]


def test_archiving_removes_free_sessions_and_cancels_booked_ones(world):
    booked = world.session_on(date(2026, 3, 17))
    book(booked, person())
    summary = archive_activity(
        db.session,
        world.walk,
        NOW,
        MANAGER,
        expected_version=world.walk.version,
        tz=CPH,
        settings=current_settings(),
    )
    db.session.commit()
    coming = db.session.scalars(
        select(Session).where(Session.activity_id == world.walk.id, Session.starts_at > NOW)
    ).all()
    assert [(s.id, s.status) for s in coming] == [(booked.id, "cancelled")]
    assert booked.cancel_reason == "Aktiviteten er slut."  # stored in the house's language
    assert summary.deleted == 4 and summary.notices == 1
    assert world.session_on(date(2026, 2, 24)).status == "scheduled"  # history stays


# ---------------------------------------------------------------- conflicts and rota


def _host(email: str = "amal@havehus.example") -> StaffUser:
    host = create_staff_user(db.session, email, "host", None, NOW, name="Amal")
    db.session.flush()
    return host


def test_two_sessions_in_one_room_at_once_are_a_warning_not_a_refusal(world):
    other = _create(_data(slug="strik", starts_on=date(2026, 3, 10), rrule=None))
    other_session = other.sessions[0]
    other_session.room_id = world.hall.id
    _session, summary = add_session(
        db.session,
        world.walk,
        date(2026, 3, 10),
        time(14, 30),
        time(15, 30),
        world.hall.id,
        NOW,
        MANAGER,
        tz=CPH,
    )
    assert [c.kind for c in summary.warnings] == ["room"]


def test_a_double_booked_host_is_warned_about(world):
    host = _host()
    first = world.session_on(date(2026, 3, 10))
    second, _summary = add_session(
        db.session,
        world.walk,
        date(2026, 3, 10),
        time(11),
        time(12),
        world.kitchen.id,
        NOW,
        MANAGER,
        tz=CPH,
    )
    assign_hosts(db.session, first, [host.id], NOW, MANAGER, tz=CPH)
    warnings = assign_hosts(db.session, second, [host.id], NOW, MANAGER, tz=CPH)
    assert [(c.kind, c.host.id) for c in warnings] == [("host", host.id)]


def test_only_active_staff_who_can_host_are_put_on_a_shift(world):
    partner = create_staff_user(db.session, "p@havehus.example", "partner", None, NOW)
    db.session.flush()
    with pytest.raises(HavehusError) as caught:
        assign_hosts(
            db.session, world.session_on(date(2026, 3, 10)), [partner.id], NOW, MANAGER, tz=CPH
        )
    assert "host_ids" in caught.value.fields


def test_the_planner_week_marks_host_filter_and_cancelled(world):
    host = _host()
    session = world.session_on(date(2026, 3, 10))
    assign_hosts(db.session, session, [host.id], NOW, MANAGER, tz=CPH)
    days = planner_week(db.session, date(2026, 3, 9), CPH, host_id=host.id)
    assert [s.id for day in days for s in day.sessions] == [session.id]


# ---------------------------------------------------------------- closures


def test_a_closure_cancels_the_sessions_on_its_days_with_one_confirmation(world):
    booked = world.session_on(date(2026, 3, 24))
    book(booked, person())
    affected = closure_sessions(db.session, date(2026, 3, 23), date(2026, 3, 29), None, CPH)
    assert [s.id for s in affected] == [booked.id]
    _closure, summary = create_closure(
        db.session,
        date(2026, 3, 23),
        date(2026, 3, 29),
        "Vandskade",
        None,
        NOW,
        MANAGER,
        tz=CPH,
        settings=current_settings(),
    )
    assert (booked.status, booked.cancel_reason, summary.notices) == ("cancelled", "Vandskade", 1)


def test_sessions_created_later_inside_a_closure_are_cancelled_too(world):
    create_closure(
        db.session,
        date(2026, 4, 7),
        date(2026, 4, 7),
        "Påskeferie",
        None,
        NOW,
        MANAGER,
        tz=CPH,
        settings=current_settings(),
    )
    later = datetime(2026, 3, 9, 11, tzinfo=NOW.tzinfo)
    from havehus.program.recurrence import expand_activity

    expand_activity(db.session, world.walk, date(2026, 4, 12), later, CPH)
    assert world.session_on(date(2026, 4, 7)).status == "cancelled"


def test_a_closure_ending_before_it_starts_is_refused(world):
    with pytest.raises(HavehusError) as caught:
        create_closure(
            db.session,
            date(2026, 3, 20),
            date(2026, 3, 19),
            "Fejl",
            None,
            NOW,
            MANAGER,
            tz=CPH,
            settings=current_settings(),
        )
    assert "ends_on" in caught.value.fields


@pytest.mark.parametrize(
    "days",
    [(date(2026, 3, 20), date(2026, 3, 19)), (date(2026, 3, 10), date(2026, 6, 30))],
    ids=["backwards", "four-months"],
)
def test_the_closure_preview_refuses_what_saving_refuses(world, days):
    with pytest.raises(HavehusError) as previewed:
        preview_closure(db.session, *days, "Fejl", None, tz=CPH)
    with pytest.raises(HavehusError) as saved:
        create_closure(
            db.session, *days, "Fejl", None, NOW, MANAGER, tz=CPH, settings=current_settings()
        )
    assert "ends_on" in saved.value.fields
    assert previewed.value.fields == saved.value.fields


def test_danish_public_holidays_and_approximate_islamic_dates_are_known():
    holidays = {
        info.day: info.name for info in danish_holidays(date(2026, 1, 1), date(2026, 12, 31))
    }
    assert holidays[date(2026, 4, 3)] == "Langfredag"
    assert holidays[date(2026, 12, 25)] == "Juledag"
    (ramadan, fitr) = islamic_dates(date(2026, 3, 1), date(2026, 3, 31))
    assert (ramadan.day, ramadan.until, ramadan.approximate) == (
        date(2026, 2, 18),
        date(2026, 3, 19),
        True,
    )
    assert fitr.day == date(2026, 3, 20)


# ---------------------------------------------------------------- copying a week


def test_copying_a_week_copies_one_off_sessions_once_across_dst(world):
    add_session(
        db.session, world.walk, date(2026, 3, 26), time(18), time(20), None, NOW, MANAGER, tz=CPH
    )
    preview = copy_week_preview(db.session, date(2026, 3, 23), date(2026, 3, 30), CPH)
    assert [(_local_dt(i.starts_at), i.exists) for i in preview] == [
        (datetime(2026, 4, 2, 18, tzinfo=CPH), False)
    ]
    first = copy_week(db.session, date(2026, 3, 23), date(2026, 3, 30), NOW, MANAGER, tz=CPH)
    again = copy_week(db.session, date(2026, 3, 23), date(2026, 3, 30), NOW, MANAGER, tz=CPH)
    assert (first.created, again.created) == (1, 0)


def _local_dt(moment: datetime) -> datetime:
    return moment.astimezone(CPH)


def test_a_session_with_only_a_cancelled_booking_is_kept_so_the_booking_is_too(world):
    session = world.session_on(date(2026, 3, 31))
    booking = book(session, person(), "cancelled")
    db.session.commit()
    summary = edit_series(
        db.session,
        world.session_on(date(2026, 3, 10)),
        "following",
        SeriesChange(until=date(2026, 3, 17)),
        NOW,
        MANAGER,
        tz=CPH,
        horizon_weeks=HORIZON_WEEKS,
        settings=current_settings(),
    )
    db.session.commit()
    assert db.session.get(type(booking), booking.id) is not None
    assert session.status == "cancelled" and summary.notices == 0


def test_a_new_time_for_all_stays_on_the_wall_clock_across_the_autumn_change(app):
    autumn = datetime(2026, 10, 12, 10, tzinfo=CPH)
    activity, _summary = create_activity(
        db.session,
        _data(slug="hoest", starts_on=date(2026, 10, 13), rrule="FREQ=WEEKLY;BYDAY=TU"),
        autumn,
        MANAGER,
        tz=CPH,
        horizon_weeks=3,
    )
    first = sorted(activity.sessions, key=lambda s: s.starts_at)[0]
    edit_series(
        db.session,
        first,
        "all",
        SeriesChange(start_time=time(11), end_time=time(13)),
        autumn,
        MANAGER,
        tz=CPH,
        horizon_weeks=3,
        settings=current_settings(),
    )
    local = [(_local(s).date(), _local(s).hour) for s in activity.sessions]
    assert (date(2026, 10, 27), 11) in local  # after 25 October: UTC+1
    assert {hour for _day, hour in local} == {11}
