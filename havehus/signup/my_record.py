"""Everything the house holds about one participant: the right of access and portability.

Managers and admins take it out (JSON, or a readable PDF in the person's language) for a
person who asked for a copy on "my bookings" (`request_copy`): the request waits for a
manager, like a request to be deleted. A direct download from "my bookings" was not chosen:
that page is opened by a link sent in a text, and a family often shares one phone; the copy
holds health appointments and every text, so a person checks who is asking before handing
it over (GDPR art. 12(6)), within the month the law allows (docs/privacy.md).

Every taking-out is logged (`access.export`: who, when, which person, which format).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from havehus.errors import HavehusError
from havehus.i18n import pick
from havehus.models import (
    Activity,
    AuditEvent,
    Booking,
    Consent,
    InboundMessage,
    OutboundMessage,
    Participant,
    ReminderRequest,
    Session,
    StaffUser,
    Visit,
)
from havehus.models.people import MANAGERS
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor

FORMATS = ("json", "pdf")


def require_manager(actor: Actor) -> None:
    """A participant's whole record is for managers and admins only."""
    if actor.role not in MANAGERS:
        raise HavehusError(_("Only managers may take out a person's data."), "forbidden")


def request_copy(orm: OrmSession, person: Participant, now: datetime, ip: str) -> None:
    """The person asks for a copy of their data; a manager hands it over."""
    if person.copy_requested_at is None:
        person.copy_requested_at = now
        audit.record(orm, "participant.copy_requested", now, Actor("public", ip=ip), target=person)


def copy_requests(orm: OrmSession, actor: Actor) -> Sequence[Participant]:
    require_manager(actor)
    return orm.scalars(
        select(Participant)
        .where(Participant.copy_requested_at.is_not(None), Participant.anonymised_at.is_(None))
        .order_by(Participant.copy_requested_at)
    ).all()


def copy_handed_over(orm: OrmSession, person: Participant, now: datetime, actor: Actor) -> None:
    """The manager gave the person their copy: the request is done."""
    require_manager(actor)
    person.copy_requested_at = None
    audit.record(orm, "participant.copy_handed_over", now, actor, target=person)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _staff_names(orm: OrmSession, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = orm.execute(select(StaffUser.id, StaffUser.name, StaffUser.role).where(
        StaffUser.id.in_(wanted)
    ))  # fmt: skip
    return {row.id: row.name or row.role for row in rows}


def record(
    orm: OrmSession, person: Participant, now: datetime, actor: Actor, fmt: str
) -> dict[str, Any]:
    """Everything about the person, as plain data (JSON as it is; the PDF prints it).

    Logged as `access.export` (who, when, whom, which format), also from a page that only reads.
    """
    require_manager(actor)
    if fmt not in FORMATS:
        raise HavehusError(_("Unknown format."), "invalid_format")
    language = person.language
    bookings = orm.execute(
        select(Booking, Session, Activity)
        .outerjoin(Session, Session.id == Booking.session_id)
        .join(Activity, or_(Activity.id == Session.activity_id, Activity.id == Booking.activity_id))
        .where(Booking.participant_id == person.id)
        .order_by(Booking.created_at, Booking.id)
    ).all()
    visits = orm.execute(
        select(Visit, Session, Activity)
        .join(Session, Session.id == Visit.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(Visit.participant_id == person.id)
        .order_by(Visit.at)
    ).all()
    consents = orm.scalars(
        select(Consent).where(Consent.participant_id == person.id).order_by(Consent.given_at)
    ).all()
    # Texts to them by name, and to their number before it was theirs on record (a sign-up
    # code is sent before the person exists).
    to_them = OutboundMessage.participant_id == person.id
    if person.phone:
        to_them = or_(to_them, OutboundMessage.to_phone == person.phone)
    sent = orm.scalars(
        select(OutboundMessage)
        .where(to_them)
        .order_by(OutboundMessage.created_at, OutboundMessage.id)
    ).all()
    from_them = InboundMessage.participant_id == person.id
    if person.phone:
        from_them = or_(from_them, InboundMessage.from_phone == person.phone)
    received = orm.scalars(
        select(InboundMessage)
        .where(from_them)
        .order_by(InboundMessage.received_at, InboundMessage.id)
    ).all()
    reminders = orm.execute(
        select(ReminderRequest, Session, Activity)
        .join(Session, Session.id == ReminderRequest.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(ReminderRequest.participant_id == person.id)
    ).all()
    booking_ids = [str(booking.id) for booking, _s, _a in bookings]
    changes = orm.scalars(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.target_type == "Participant")
                & (AuditEvent.target_id == str(person.id)),
                (AuditEvent.target_type == "Booking") & AuditEvent.target_id.in_(booking_ids),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    staff = _staff_names(
        orm,
        {c.recorded_by_id for c in consents}
        | {e.actor_user_id for e in changes}
        | {b.created_by_id for b, _s, _a in bookings},
    )
    data: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "person": {
            "id": person.public_id,
            "name": person.display_name,
            "phone": person.phone,
            "language": language,
            "birth_year": person.birth_year,
            "housing_area": person.department.name if person.department else None,
            "outside_area": person.outside_area,
            "heard_of_us": person.channel,
            "staff_note": person.staff_note,
            "created_at": _iso(person.created_at),
            "last_seen_at": _iso(person.last_seen_at),
            "erasure_requested_at": _iso(person.erasure_requested_at),
            "copy_requested_at": _iso(person.copy_requested_at),
        },
        "consents": [
            {
                "kind": c.kind,
                "wording_version": c.wording_version,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "recorded_by": staff.get(c.recorded_by_id or 0),
            }
            for c in consents
        ],
        "bookings": [
            {
                "activity": pick(activity.title, language),
                "starts_at": _iso(session.starts_at) if session else None,
                "whole_course": booking.activity_id is not None,
                "status": booking.status,
                "guests": booking.guests,
                "booked_at": _iso(booking.created_at),
                "booked_by": staff.get(booking.created_by_id or 0),
                "cancelled_at": _iso(booking.cancelled_at),
                "staff_note": booking.staff_note,
            }
            for booking, session, activity in bookings
        ],
        "visits": [
            {
                "activity": pick(activity.title, language),
                "starts_at": _iso(session.starts_at),
                "checked_in_by": visit.source,
                "at": _iso(visit.at),
            }
            for visit, session, activity in visits
        ],
        "reminder_requests": [
            {
                "activity": pick(activity.title, language),
                "starts_at": _iso(session.starts_at),
                "cancelled_at": _iso(request.cancelled_at),
            }
            for request, session, activity in reminders
        ],
        "texts_sent": [
            {
                "at": _iso(m.sent_at or m.created_at),
                "kind": m.kind,
                "status": m.status,
                "to": m.to_phone or None,
                "text": m.body or None,
            }
            for m in sent
        ],
        "texts_received": [
            {
                "at": _iso(m.received_at),
                "from": m.from_phone or None,
                "text": m.body or None,
                "understood_as": m.interpreted_as,
            }
            for m in received
        ],
        "changes": [
            {
                "at": _iso(e.at),
                "what": e.action,
                "by": staff.get(e.actor_user_id or 0) or e.actor_kind,
            }
            for e in changes
        ],
    }
    audit.record_access(orm, "export", now, actor, target=person, details={"format": fmt})
    return data
