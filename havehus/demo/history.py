"""The demo's past weeks: bookings, check-ins, no-shows and head counts, for the reports."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from havehus.models import (
    Booking,
    BookingStatus,
    Consent,
    Mode,
    Participant,
    Pulse,
    Session,
    SessionStatus,
    Tally,
    Visit,
)
from havehus.models.attendance import PULSE_FACES
from havehus.orm import OrmSession
from havehus.signup.services import HEALTH_WORDING


def _book(
    orm: OrmSession,
    session: Session,
    participant: Participant,
    status: str,
    source: str,
    at: datetime,
    created_by_id: int | None,
) -> None:
    booking = Booking(
        participant=participant,
        session=session,
        status=status,
        source=source,
        created_by_id=created_by_id if source == "staff" else None,
        created_at=at,
        updated_at=at,
        waitlisted_at=at if status == BookingStatus.WAITLISTED else None,
        attended_at=session.starts_at if status == BookingStatus.ATTENDED else None,
        cancelled_at=at if status == BookingStatus.CANCELLED else None,
    )
    if status in (
        BookingStatus.CONFIRMED,
        BookingStatus.OFFERED,
        BookingStatus.ATTENDED,
        BookingStatus.NO_SHOW,
    ):
        session.seats_taken += 1
    orm.add(booking)
    if status == BookingStatus.ATTENDED:  # marked as come by the host: a named visit
        orm.add(_visit(session, participant, booking, "host"))


def _visit(session: Session, person: Participant, booking: Booking | None, source: str) -> Visit:
    before = BookingStatus.CONFIRMED if booking is not None else None
    return Visit(
        session=session,
        participant=person,
        booking=booking,
        booking_status_before=before,
        source=source,
        at=session.starts_at,
    )


def _add_pulse(orm: OrmSession, session: Session, rng: random.Random) -> None:
    """Answers to "How are you today?": mostly good, some so-so, now and then a bad day."""
    answers = rng.choices(PULSE_FACES, weights=(1, 2, 5, 9, 7), k=rng.randint(3, 12))
    for face in PULSE_FACES:
        if answers.count(face):
            orm.add(Pulse(session_id=session.id, face=face, count=answers.count(face)))


def add_history(
    orm: OrmSession,
    rng: random.Random,
    people: list[Participant],
    host_id: int,
    manager_id: int,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """Bookings, attendance, no-shows and head counts for the past weeks, and a few ahead."""
    regulars = people[:40]  # most visits come from a core of regulars, as in real houses
    sessions = orm.scalars(select(Session).join(Session.activity).order_by(Session.starts_at)).all()
    next_week_end = now + timedelta(days=14)
    for session in sessions:
        activity = session.activity
        if activity.visibility == "staff" or session.status == SessionStatus.CANCELLED:
            continue
        past = session.ends_at < now
        if not past and session.starts_at > next_week_end:
            continue
        # Booked a few days ahead, and never after `now` (a restore counts later bookings).
        booked_at = min(
            session.starts_at - timedelta(days=rng.randint(1, 6)), now - timedelta(hours=12)
        )
        if past and activity.wellbeing_pulse:
            _add_pulse(orm, session, random.Random(session.id))  # the rest stays as it was
        if activity.mode == Mode.SIGNUP and not activity.sensitive:
            capacity = activity.capacity or 0
            full = not past and session.starts_at > now + timedelta(days=6)
            wanted = capacity + 3 if full else rng.randint(capacity - 6, capacity)
            chosen = rng.sample(regulars if rng.random() < 0.8 else people, k=min(wanted, 40))
            for position, person in enumerate(chosen):
                if position >= capacity:
                    status = BookingStatus.WAITLISTED
                elif past:
                    status = (
                        BookingStatus.ATTENDED if rng.random() < 0.86 else BookingStatus.NO_SHOW
                    )
                else:
                    status = BookingStatus.CONFIRMED
                source = rng.choice(["staff", "staff", "web", "kiosk"])
                at = booked_at + timedelta(minutes=position * 7)
                _book(orm, session, person, status, source, at, manager_id)
        elif activity.sensitive:
            for person in rng.sample(people, k=rng.randint(0, 2)):
                status = (
                    BookingStatus.ATTENDED
                    if past and rng.random() < 0.9
                    else BookingStatus.CONFIRMED
                )
                if past and status != BookingStatus.ATTENDED:
                    status = BookingStatus.NO_SHOW
                person.consents.append(
                    Consent(
                        kind="health",
                        wording_version=HEALTH_WORDING,
                        given_at=booked_at,
                        recorded_by_id=manager_id,
                    )
                )
                _book(orm, session, person, status, "staff", booked_at, manager_id)
        elif past:
            # Drop-in: a few named check-ins plus anonymous head counts by the host.
            for person in rng.sample(regulars, k=rng.randint(2, 6)):
                orm.add(_visit(session, person, None, "kiosk"))  # a walk-in: no booking
            counts = {
                "adults": rng.randint(3, 14),
                "children": rng.randint(0, 4) if activity.category != "walking" else 0,
                "first_timers": rng.randint(0, 2),
            }
            for kind, count in counts.items():
                orm.add(
                    Tally(
                        session=session,
                        kind=kind,
                        count=count,
                        recorded_by_id=host_id,
                        updated_at=session.ends_at,
                    )
                )
    orm.flush()
    for person in people:
        last = orm.scalar(
            select(Session.starts_at)
            .join(Visit, Visit.session_id == Session.id)
            .where(Visit.participant_id == person.id)
            .order_by(Session.starts_at.desc())
            .limit(1)
        )
        person.last_seen_at = last
