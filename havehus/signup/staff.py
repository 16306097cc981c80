"""Signing people up on their behalf: finding them, recording consent, companions, notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from havehus.errors import HavehusError
from havehus.models import Booking, Participant, Session, StaffUser
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.people.retention import anonymise
from havehus.signup import services
from havehus.signup.services import BookingResult

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class OnBehalf:
    """What staff fill in when they sign someone up."""

    participant_id: int | None
    name: str
    phone: str | None
    language: str
    channel: str
    sms_consent: bool
    health_consent: bool
    wants_company: bool
    companion_id: int | None
    staff_note: str
    overbook: bool


def search_participants(orm: OrmSession, query: str) -> Sequence[Participant]:
    """People whose name contains the words, or whose phone ends with the digits typed."""
    query = query.strip()
    if not query:
        return []
    digits = "".join(ch for ch in query if ch.isdigit())
    conditions = []
    if digits and len(digits) >= 4:
        conditions.append(Participant.phone.endswith(digits[-4:]))
    if not digits:
        conditions.append(func.lower(Participant.display_name).contains(query.lower()))
    return orm.scalars(
        select(Participant)
        .where(Participant.anonymised_at.is_(None), or_(*conditions))
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


def book_on_behalf(
    orm: OrmSession, session: Session, form: OnBehalf, now: datetime, actor: Actor
) -> BookingResult:
    """Sign a person up for a session as staff; consent is recorded as given through staff."""
    if form.participant_id:
        person = orm.get(Participant, form.participant_id)
        if person is None or person.anonymised_at is not None:
            raise HavehusError(_("This person is not in the list any more."), "invalid_participant")
        if form.phone and not person.phone:
            person.phone = form.phone
    else:
        person = services.find_or_create_participant(
            orm,
            name=form.name,
            phone=form.phone,
            language=form.language,
            channel=form.channel,
            now=now,
            created_by_id=actor.user_id,
        )
    if session.activity.sensitive and not form.health_consent:
        raise HavehusError(
            _("Ask the person first, and tick that they agree to the registration."),
            "consent_required",
        )
    if form.sms_consent and person.phone:
        services.record_consent(orm, person, "sms", now, recorded_by_id=actor.user_id)
    if form.health_consent:
        services.record_consent(orm, person, "health", now, recorded_by_id=actor.user_id)
    result = services.book(
        orm,
        session,
        person,
        now,
        actor,
        source="staff",
        wants_company=form.wants_company,
        overbook=form.overbook,
    )
    booking = result.booking
    if form.companion_id:
        booking.companion_id = form.companion_id
    if form.staff_note.strip():
        booking.staff_note = form.staff_note.strip()[:1000]
    return result


def session_bookings(orm: OrmSession, session: Session) -> Sequence[Booking]:
    """Who booked this session, or the whole course it belongs to."""
    if session.activity.mode == "enrolment":
        same = Booking.activity_id == session.activity_id
    else:
        same = Booking.session_id == session.id
    return orm.scalars(
        select(Booking)
        .where(same)
        .order_by(
            Booking.status.in_(("cancelled",)),
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


def erase_participant(orm: OrmSession, person: Participant, now: datetime, actor: Actor) -> None:
    """Delete a person's data now (their request, confirmed by a manager)."""
    anonymise(orm, [person.id], now)
    audit.record(orm, "participant.erase", now, actor, target=person)
