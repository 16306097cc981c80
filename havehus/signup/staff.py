"""Signing people up on their behalf: finding them, recording consent, companions, notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from havehus.config import Settings
from havehus.models import Booking, BookingStatus, Mode, Participant, Session, StaffUser
from havehus.models.signup import OPEN
from havehus.orm import OrmSession
from havehus.people import audit, erasure_log
from havehus.people.audit import Actor
from havehus.people.retention import anonymise
from havehus.signup import services
from havehus.signup.replies import upcoming

SEARCH_LIMIT = 20


def search_participants(orm: OrmSession, query: str) -> Sequence[Participant]:
    """People whose name contains the letters typed and whose phone ends with the digits typed.

    Digits count from four on (the last four of a number); fewer find nobody rather than
    everybody, so that one tap never books the wrong person.
    """
    digits = "".join(ch for ch in query if ch.isdigit())
    words = "".join(ch for ch in query if not ch.isdigit()).split()
    if len(digits) < 4 and (digits or not words):
        return []
    conditions = [
        func.lower(Participant.display_name).contains(word.lower(), autoescape=True)
        for word in words
    ]
    if digits:
        conditions.append(Participant.phone.endswith(digits[-4:], autoescape=True))
    return orm.scalars(
        select(Participant)
        .where(Participant.anonymised_at.is_(None), *conditions)
        .order_by(Participant.display_name)
        .limit(SEARCH_LIMIT)
    ).all()


def companions(orm: OrmSession) -> Sequence[StaffUser]:
    """Volunteers who can come along with someone: active hosts."""
    return orm.scalars(
        select(StaffUser)
        .where(StaffUser.active.is_(True), StaffUser.role.in_(("host", "manager")))
        .order_by(StaffUser.name, StaffUser.email)
    ).all()


def log_sensitive_list(
    orm: OrmSession, session: Session, names_shown: bool, now: datetime, actor: Actor
) -> None:
    """Who booked a sensitive (health) activity, shown with names, is logged: who, when, what."""
    if session.activity.sensitive and names_shown:
        audit.record_access(
            orm, "bookings", now, actor, target=session, details={"activity": session.activity.slug}
        )


def session_bookings(orm: OrmSession, session: Session) -> Sequence[Booking]:
    """Who booked this session, or the whole course it belongs to."""
    if session.activity.mode == Mode.ENROLMENT:
        same = Booking.activity_id == session.activity_id
    else:
        same = Booking.session_id == session.id
    return orm.scalars(
        select(Booking)
        .where(same)
        .order_by(
            Booking.status == BookingStatus.CANCELLED,
            Booking.waitlisted_at.is_not(None),
            Booking.waitlisted_at,
            Booking.created_at,
        )
    ).all()


def erasure_requests(orm: OrmSession) -> Sequence[Participant]:
    return orm.scalars(
        select(Participant)
        .where(Participant.erasure_requested_at.is_not(None), Participant.anonymised_at.is_(None))
        .order_by(Participant.erasure_requested_at)
    ).all()


def erase_participant(
    orm: OrmSession, person: Participant, now: datetime, actor: Actor, settings: Settings
) -> None:
    """Delete a person's data now (their request, confirmed by a manager).

    Their bookings still to come are cancelled first — the seat goes to the next on the
    waiting list, and no link in an old text shows the appointment any more."""
    for booking, _session in upcoming(orm, [person], OPEN, now):
        services.cancel(orm, booking, now, actor, settings)
    anonymise(orm, [person.id], now)
    # Outside the database too: a restore of an older backup erases them again.
    erasure_log.append(settings, person.public_id, now)
    audit.record(orm, "participant.erase", now, actor, target=person)
