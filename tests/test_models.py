"""The database itself keeps the promises: constraints hold on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from havehus.extensions import db
from havehus.models import Booking, Participant, Session, Tally

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _participant(name: str = "Fatima") -> Participant:
    person = Participant(public_id=f"p-{name}", display_name=name, created_at=T0)
    db.session.add(person)
    db.session.flush()
    return person


def _booking(person: Participant, session: Session, **fields) -> Booking:
    values = dict(status="confirmed", source="web", created_at=T0, updated_at=T0)
    values.update(fields)
    return Booking(participant=person, session=session, **values)


def _fails(*objects: object) -> None:
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_one_booking_per_participant_and_session(any_app, make_activity, make_session):
    session = make_session(make_activity(mode="signup", capacity=3), T0)
    person = _participant()
    db.session.add(_booking(person, session))
    db.session.flush()
    _fails(_booking(person, session, status="waitlisted"))


def test_capacity_cannot_be_negative(any_app, make_activity):
    with pytest.raises(IntegrityError):
        make_activity(mode="signup", capacity=-1)
    db.session.rollback()


def test_a_bookable_activity_needs_a_capacity(any_app, make_activity):
    with pytest.raises(IntegrityError):
        make_activity(mode="signup", capacity=None)
    db.session.rollback()


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "maybe"), ("source", "fax")],
)
def test_booking_values_outside_the_lists_are_refused(
    any_app, make_activity, make_session, field, value
):
    session = make_session(make_activity(mode="signup", capacity=3), T0)
    _fails(_booking(_participant(), session, **{field: value}))


def test_a_booking_is_for_a_session_or_a_course_not_both(any_app, make_activity, make_session):
    activity = make_activity(mode="signup", capacity=3)
    session = make_session(activity, T0)
    _fails(_booking(_participant(), session, activity=activity))


def test_session_status_and_times_are_checked(any_app, make_activity, make_session):
    activity = make_activity()
    with pytest.raises(IntegrityError):
        make_session(activity, T0, status="postponed")
    db.session.rollback()
    activity = make_activity()
    with pytest.raises(IntegrityError):
        make_session(activity, T0, minutes=-30)
    db.session.rollback()


def test_seats_taken_cannot_go_below_zero(any_app, make_activity, make_session):
    make_session(make_activity(mode="signup", capacity=2), T0)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE session SET seats_taken = seats_taken - 1"))
    db.session.rollback()


def test_tally_counts_are_unique_per_kind_and_not_negative(any_app, make_activity, make_session):
    session = make_session(make_activity(), T0)
    db.session.add(Tally(session=session, kind="adults", count=4, updated_at=T0))
    db.session.flush()
    _fails(Tally(session=session, kind="adults", count=1, updated_at=T0))
    session = make_session(make_activity(), T0)
    _fails(Tally(session=session, kind="children", count=-1, updated_at=T0))


def test_times_come_back_aware_in_utc(any_app, make_activity, make_session):
    copenhagen_summer = timezone(timedelta(hours=2))
    session = make_session(make_activity(), datetime(2026, 6, 1, 10, 0, tzinfo=copenhagen_summer))
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalar(select(Session).where(Session.id == session.id))
    assert stored.starts_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert stored.starts_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(any_app, make_activity, make_session):
    with pytest.raises(StatementError):
        make_session(make_activity(), datetime(2026, 6, 1, 10, 0))
    db.session.rollback()


def test_activity_edits_are_versioned(any_app, make_activity):
    activity = make_activity()
    db.session.commit()
    first = activity.version
    activity.price_text = {"da": "Gratis"}
    db.session.commit()
    assert activity.version == first + 1
