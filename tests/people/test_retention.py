"""Deleting on time: inactive people are anonymised; health sign-ups leave only a count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import Booking, Consent, LoginAttempt, Participant, StaffSession, Tally
from havehus.people.retention import apply_retention
from havehus.signup.services import record_consent
from tests.factories import add_booking, add_participant

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _person(name: str, last_seen: datetime) -> Participant:
    return add_participant(name, at=last_seen, birth_year=1960, last_seen_at=last_seen)


def test_people_not_seen_for_a_year_are_anonymised_and_recent_ones_kept(any_app):
    old = _person("Birthe", NOW - timedelta(days=400))
    recent = _person("Fatima", NOW - timedelta(days=30))
    db.session.commit()

    run = apply_retention(db.session, NOW, months=12, sensitive_days=30)
    db.session.commit()

    assert run.anonymised == 1
    db.session.refresh(old)
    db.session.refresh(recent)
    assert (old.display_name, old.phone, old.birth_year) == ("", None, None)
    assert old.anonymised_at == NOW
    assert recent.display_name == "Fatima" and recent.phone
    consents = db.session.scalars(select(Consent.participant_id)).all()
    assert consents == [recent.id]
    assert apply_retention(db.session, NOW, months=12, sensitive_days=30).anonymised == 0


def test_health_sign_ups_become_an_anonymous_count_after_thirty_days(
    any_app, make_activity, make_session
):
    vaccination = make_activity(mode="signup", capacity=2, sensitive=True, category="health")
    past = make_session(vaccination, NOW - timedelta(days=40), minutes=15)
    future = make_session(vaccination, NOW + timedelta(days=3), minutes=15)
    came, missed, later = (_person(n, NOW - timedelta(days=41)) for n in ("Ahmad", "Leila", "Omar"))
    for person in (came, missed, later):
        record_consent(db.session, person, "health", NOW - timedelta(days=41))
    add_booking(past, came, "attended", at=NOW)
    add_booking(past, missed, "no_show", at=NOW)
    add_booking(future, later, "confirmed", at=NOW)
    db.session.commit()

    run = apply_retention(db.session, NOW, months=12, sensitive_days=30)
    db.session.commit()

    assert run.sensitive_bookings_erased == 2
    db.session.refresh(past)
    assert past.seats_taken == 0  # the counter goes down with the bookings it counted
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    tally = db.session.scalar(select(Tally).where(Tally.session_id == past.id))
    assert (tally.kind, tally.count) == ("adults", 1)
    health = set(db.session.scalars(select(Consent.participant_id).where(Consent.kind == "health")))
    assert health == {later.id}


def test_old_login_attempts_are_deleted(any_app):
    db.session.add(LoginAttempt(email="a@b.dk", ip="1.2.3.4", at=NOW - timedelta(days=31)))
    db.session.add(LoginAttempt(email="a@b.dk", ip="1.2.3.4", at=NOW - timedelta(days=1)))
    db.session.commit()
    assert (
        apply_retention(db.session, NOW, months=12, sensitive_days=30).login_attempts_deleted == 1
    )


def test_staff_sessions_are_deleted_a_month_after_they_ran_out(any_app, make_user):
    user = make_user("host")
    for days_ago in (31, 29):
        signed_in = NOW - timedelta(days=days_ago)
        db.session.add(
            StaffSession(
                staff_user_id=user.id,
                token_hash=f"{days_ago:064d}",
                created_at=signed_in,
                expires_at=signed_in + timedelta(hours=12),
            )
        )
    db.session.commit()
    run = apply_retention(db.session, NOW, months=12, sensitive_days=30)
    assert run.staff_sessions_deleted == 1
    assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 1


def test_worker_at_a_future_instant_sends_ahead_but_erases_nothing_ahead(app, clock):
    clock.set(NOW)
    # Not seen for 11 months and 3 weeks: anonymised in a week's time, not today.
    person = _person("Fatima", NOW - timedelta(days=11 * 30 + 21))
    db.session.commit()

    runner = app.test_cli_runner()
    ahead = (NOW + timedelta(days=14)).isoformat()
    result = runner.invoke(args=["worker", "--once", "--at", ahead])

    assert result.exit_code == 0, result.output
    assert "apply_retention: anonymised=0" in result.output
    db.session.refresh(person)
    assert person.anonymised_at is None and person.display_name == "Fatima"
    clock.advance(timedelta(days=14))  # the day really comes
    assert "anonymised=1" in runner.invoke(args=["worker", "--once"]).output
