"""Deleting on time: what the privacy page promises, done every day by the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from havehus.dbutil import execute_rowcount
from havehus.models import (
    Activity,
    Booking,
    Consent,
    FeedToken,
    LoginAttempt,
    Participant,
    Session,
    SignupChallenge,
    Tally,
    Visit,
)
from havehus.models.signup import SEAT_COUNTED
from havehus.orm import OrmSession
from havehus.people import audit, staff_sessions

#: A month for retention purposes (the promise is "at most N months").
MONTH = timedelta(days=30)
CHALLENGE_LIFETIME = timedelta(days=1)
LOGIN_ATTEMPT_LIFETIME = timedelta(days=30)


@dataclass
class RetentionRun:
    anonymised: int = 0
    sensitive_bookings_erased: int = 0
    challenges_deleted: int = 0
    login_attempts_deleted: int = 0
    staff_sessions_deleted: int = 0


def anonymise_inactive(orm: OrmSession, now: datetime, months: int) -> int:
    """Erase name, number and other details of people not seen for `months` months.

    Their bookings stay (without a person behind them), so past head counts stay honest.
    """
    cutoff = now - months * MONTH
    last_seen = func.coalesce(Participant.last_seen_at, Participant.created_at)
    ids = orm.scalars(
        select(Participant.id).where(Participant.anonymised_at.is_(None), last_seen < cutoff)
    ).all()
    if not ids:
        return 0
    anonymise(orm, list(ids), now)
    audit.record(orm, "retention.anonymise", now, audit.WORKER, details={"count": len(ids)})
    return len(ids)


def anonymise(orm: OrmSession, ids: list[int], now: datetime) -> None:
    """Erase the personal data of these participants; their bookings stay, nameless."""
    orm.execute(
        update(Participant)
        .where(Participant.id.in_(ids))
        .values(
            display_name="",
            phone=None,
            birth_year=None,
            staff_note=None,
            erasure_requested_at=None,
            anonymised_at=now,
        )
    )
    orm.execute(delete(Consent).where(Consent.participant_id.in_(ids)))
    orm.execute(
        update(FeedToken)
        .where(FeedToken.participant_id.in_(ids), FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def erase_sensitive_bookings(orm: OrmSession, now: datetime, days: int) -> int:
    """Delete sign-ups and named visits of sensitive sessions that ended `days` ago; keep an
    anonymous count of who came (each visit and the guests its booking brought)."""
    cutoff = now - timedelta(days=days)
    ended = (
        select(Session.id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(Activity.sensitive.is_(True), Session.ends_at < cutoff)
    )
    rows = orm.execute(
        select(
            Booking.id, Booking.session_id, Booking.status, Booking.participant_id, Booking.guests
        ).where(Booking.session_id.in_(ended))
    ).all()
    visits = orm.execute(
        select(Visit.id, Visit.session_id, Visit.participant_id, Booking.guests)
        .outerjoin(Booking, Booking.id == Visit.booking_id)
        .where(Visit.session_id.in_(ended))
    ).all()
    if not rows and not visits:
        return 0
    came: dict[int, int] = {}
    for _id, visited, _person, brought in visits:  # they came, with the guests they brought
        came[visited] = came.get(visited, 0) + 1 + (brought or 0)
    seats: dict[int, int] = {}
    for _id, session_id, status, _person, guests in rows:
        if status in SEAT_COUNTED and session_id is not None:
            seats[session_id] = seats.get(session_id, 0) + 1 + guests
    # The session's seat counter counted these bookings; it goes down with them, so counters
    # and bookings keep agreeing (`havehus check`). The count of who came stays in the tally.
    for session_id, count in seats.items():
        orm.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(seats_taken=Session.seats_taken - count)
        )
    for session_id, count in came.items():
        tally = orm.scalar(
            select(Tally).where(Tally.session_id == session_id, Tally.kind == "adults")
        )
        if tally is None:
            orm.add(Tally(session_id=session_id, kind="adults", count=count, updated_at=now))
        else:
            tally.count += count
            tally.updated_at = now
    orm.execute(delete(Visit).where(Visit.id.in_([visit[0] for visit in visits])))
    orm.execute(delete(Booking).where(Booking.id.in_([row[0] for row in rows])))
    people = {row[3] for row in rows} | {visit[2] for visit in visits}
    still_booked = set(
        orm.scalars(
            select(Booking.participant_id)
            .join(Session, Session.id == Booking.session_id)
            .join(Activity, Activity.id == Session.activity_id)
            .where(Booking.participant_id.in_(people), Activity.sensitive.is_(True))
        )
    )
    orm.execute(
        delete(Consent).where(
            Consent.kind == "health", Consent.participant_id.in_(people - still_booked)
        )
    )
    details = {"bookings": len(rows), "visits": len(visits)}
    audit.record(orm, "retention.sensitive", now, audit.WORKER, details=details)
    return len(rows)


def apply_retention(
    orm: OrmSession, now: datetime, *, months: int, sensitive_days: int
) -> RetentionRun:
    run = RetentionRun()
    run.anonymised = anonymise_inactive(orm, now, months)
    run.sensitive_bookings_erased = erase_sensitive_bookings(orm, now, sensitive_days)
    run.challenges_deleted = execute_rowcount(
        orm, delete(SignupChallenge).where(SignupChallenge.created_at < now - CHALLENGE_LIFETIME)
    )
    run.login_attempts_deleted = execute_rowcount(
        orm, delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_ATTEMPT_LIFETIME)
    )
    run.staff_sessions_deleted = staff_sessions.delete_old(orm, now)
    return run
