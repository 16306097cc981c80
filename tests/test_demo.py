"""The demo house: realistic, idempotent, and never an empty week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from havehus.config import settings_of
from havehus.demo import seed_demo
from havehus.extensions import db
from havehus.models import (
    Activity,
    Booking,
    Department,
    Participant,
    Session,
    StaffUser,
    Tally,
    Visit,
)
from havehus.timeutil import iso_week_label

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
NAMED = (
    "havefaellesskabet",
    "sammen-om-maden",
    "norklecafe",
    "gaa-faellesskab",
    "popup-vaccination",
)


def _seed(app: Flask):
    result = seed_demo(db.session, NOW, CPH, settings_of(app))
    db.session.commit()
    return result


def _counts() -> dict[str, int]:
    models = (Activity, Session, Participant, Booking, Tally, Visit, StaffUser, Department)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_every_named_activity_occurs_in_every_week_of_the_demo_horizon(any_app):
    _seed(any_app)
    first_week = NOW.date() - timedelta(weeks=12)
    weeks = {iso_week_label(first_week + timedelta(weeks=i)) for i in range(12 + 12)}
    for slug in NAMED:
        starts = db.session.scalars(
            select(Session.starts_at).join(Session.activity).where(Activity.slug == slug)
        ).all()
        covered = {iso_week_label(start.astimezone(CPH).date()) for start in starts}
        assert weeks <= covered, (slug, sorted(weeks - covered))


def test_seeding_twice_changes_nothing(any_app):
    first = _seed(any_app)
    before = _counts()
    second = _seed(any_app)

    assert first.created and len(first.credentials) == 2
    assert not second.created and second.credentials == []
    assert _counts() == before


def test_the_demo_has_the_people_the_house_serves(any_app):
    _seed(any_app)
    languages = set(db.session.scalars(select(Participant.language)))
    assert {"da", "ar", "tr", "so", "ur"} <= languages
    assert 55 <= _counts()["Participant"] <= 65
    per_department = dict(
        db.session.execute(
            select(Department.slug, func.count(Participant.id))
            .join(Participant, Participant.department_id == Department.id)
            .group_by(Department.slug)
        ).all()
    )
    assert len(per_department) == 4
    assert 1 <= min(per_department.values()) < 5
    roles = set(db.session.scalars(select(StaffUser.role)))
    assert roles == {"manager", "host"}


def test_the_demo_has_history_for_reports(any_app):
    _seed(any_app)
    statuses = dict(
        db.session.execute(select(Booking.status, func.count()).group_by(Booking.status)).all()
    )
    assert statuses["attended"] > 100
    assert _counts()["Visit"] > 300  # named visits: attended bookings and drop-in check-ins
    assert statuses["no_show"] > 10
    assert statuses.get("waitlisted", 0) >= 1
    assert _counts()["Tally"] > 100
    past_tallies = db.session.scalar(
        select(func.count()).select_from(Tally).join(Session).where(Session.starts_at > NOW)
    )
    assert past_tallies == 0


def test_seats_taken_match_the_bookings(any_app):
    _seed(any_app)
    holding = ("confirmed", "offered", "attended", "no_show")
    rows = db.session.execute(
        select(Session.id, Session.seats_taken, func.count(Booking.id))
        .join(Booking, Booking.session_id == Session.id)
        .where(Booking.status.in_(holding))
        .group_by(Session.id, Session.seats_taken)
    ).all()
    assert rows and all(seats == count for _, seats, count in rows)
    over = db.session.scalar(
        select(func.count())
        .select_from(Session)
        .join(Session.activity)
        .where(Session.seats_taken > Activity.capacity)
    )
    assert over == 0


def test_the_staff_meeting_is_staff_only_every_fourteen_days(any_app):
    _seed(any_app)
    meeting = db.session.scalar(select(Activity).where(Activity.slug == "havehusmoede"))
    assert meeting.visibility == "staff"
    starts = sorted(s.starts_at for s in meeting.sessions)
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} <= {
        timedelta(days=14),
        timedelta(days=14, hours=1),
        timedelta(days=14, hours=-1),
    }


def test_the_house_is_closed_over_christmas_in_the_demo(any_app):
    _seed(any_app)
    first, last = datetime(2026, 12, 24, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC)
    christmas = db.session.scalars(
        select(Session.status)
        .join(Session.activity)
        .where(Activity.slug == "gaa-faellesskab")
        .where(Session.starts_at >= first, Session.starts_at < last)
    ).all()
    assert christmas and set(christmas) == {"cancelled"}


def test_no_booking_of_the_demo_was_made_in_the_future(app):
    # A restore counts the bookings made after its backup: a fresh demo has none.
    _seed(app)
    latest = db.session.scalar(select(func.max(Booking.created_at)))
    assert latest is not None and latest <= NOW
