"""Deleting on time: inactive people are anonymised; health sign-ups leave only a count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from havehus.config import change_settings, load_settings, settings_of
from havehus.extensions import db
from havehus.models import (
    AuditEvent,
    Booking,
    Consent,
    InboundMessage,
    LoginAttempt,
    OutboundMessage,
    Participant,
    SignupChallenge,
    StaffSession,
    Tally,
)
from havehus.people.retention import Periods, apply_retention
from havehus.signup.services import record_consent
from tests.factories import add_booking, add_participant

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
#: The default settings' periods (config/default.toml).
PERIODS = Periods.from_settings(load_settings(environ={}))


def _person(name: str, last_seen: datetime) -> Participant:
    return add_participant(name, at=last_seen, birth_year=1960, last_seen_at=last_seen)


def test_people_not_seen_for_a_year_are_anonymised_and_recent_ones_kept(any_app):
    old = _person("Birthe", NOW - timedelta(days=400))
    recent = _person("Fatima", NOW - timedelta(days=30))
    db.session.commit()

    run = apply_retention(db.session, NOW, PERIODS)
    db.session.commit()

    assert run.anonymised == 1
    db.session.refresh(old)
    db.session.refresh(recent)
    assert (old.display_name, old.phone, old.birth_year) == ("", None, None)
    assert old.anonymised_at == NOW
    assert recent.display_name == "Fatima" and recent.phone
    consents = db.session.scalars(select(Consent.participant_id)).all()
    assert consents == [recent.id]
    assert apply_retention(db.session, NOW, PERIODS).anonymised == 0


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

    run = apply_retention(db.session, NOW, PERIODS)
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
    assert apply_retention(db.session, NOW, PERIODS).login_attempts_deleted == 1


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
    run = apply_retention(db.session, NOW, PERIODS)
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


def _old_records(session_id: int, user_id: int, at: datetime) -> None:
    """One record of each kind that has an end, made at `at`."""
    db.session.add_all(
        [
            OutboundMessage(
                to_phone="+4520111111", language="da", body="Husk fællesspisning i morgen",
                kind="reminder", send_after=at, status="delivered", segments=1, sent_at=at,
                created_at=at, last_error="+4520111111 answered late",
            ),
            OutboundMessage(
                to_phone="+4520222222", language="da", body="Still waiting", kind="reminder",
                send_after=at + timedelta(days=1000), status="pending", created_at=at,
            ),
            InboundMessage(
                from_phone="+4520111111", body="Jeg kommer med min mor", received_at=at,
                interpreted_as="other",
            ),
            SignupChallenge(
                session_id=session_id, display_name="Birthe", phone="+4520333333",
                language="da", code_hash="0" * 64, ip="10.0.0.1", created_at=at,
                expires_at=at + timedelta(minutes=10),
            ),
            LoginAttempt(email="host@havehus.dk", ip="10.0.0.2", at=at),
            StaffSession(
                staff_user_id=user_id, token_hash="1" * 64, created_at=at,
                expires_at=at + timedelta(hours=12), ended_at=at,
            ),
            AuditEvent(at=at, actor_kind="cli", action="test.old", details={"note": "x"}),
        ]
    )  # fmt: skip


def _worker_says(app) -> dict[str, int]:
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("apply_retention:")]
    pairs = (item.split("=") for item in line.split(": ", 1)[1].split(", "))
    return {name: int(value) for name, value in pairs}


def test_every_record_ends_on_its_day_as_the_clock_moves(
    app, clock, make_activity, make_session, make_user
):
    """The worker's daily job, on a clock moving day by day: each kind of record is kept for
    exactly its period (one setting each), and a text keeps what its figures need."""
    clock.set(NOW)
    session = make_session(make_activity(), NOW + timedelta(days=800))
    host = make_user("host")
    db.session.execute(delete(AuditEvent))  # making the host was audited at another time
    _old_records(session.id, host.id, NOW)
    db.session.commit()
    change_settings(app, sms_backend="console")

    ended: dict[str, int] = {}
    for day in (0, 1, 2, 29, 30, 31, 89, 90, 91, 719, 720, 721):  # each day before and on
        clock.set(NOW + timedelta(days=day, hours=1))
        for name, value in _worker_says(app).items():
            if value and name not in ended and name != "anonymised":
                ended[name] = day
    assert ended == {
        "challenges_deleted": 1,
        "login_attempts_deleted": 30,
        "staff_sessions_deleted": 30,
        "texts_reduced": 90,
        "replies_reduced": 90,
        "audit_events_deleted": 720,
    }
    sent, unsettled = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
    # Reduced: no number, no words; its delivery, segments and time stay for the figures.
    assert (sent.to_phone, sent.body, sent.last_error) == ("", "", None)
    assert (sent.status, sent.segments, sent.kind, sent.sent_at) == (
        "delivered",
        1,
        "reminder",
        NOW,
    )
    assert unsettled.to_phone == "+4520222222"  # not sent yet: it needs its number
    reply = db.session.scalars(select(InboundMessage)).one()
    assert (reply.from_phone, reply.body, reply.interpreted_as) == ("", "", "other")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "test.old")) == 0


def test_the_periods_come_from_the_settings(app):
    change_settings(app, text_retention_days=14)
    periods = Periods.from_settings(settings_of(app))
    assert periods.text_retention_days == 14 and periods.retention_months == 12
