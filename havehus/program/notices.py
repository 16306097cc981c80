"""Change notices: the text every booked or waitlisted person gets when their session changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import LazyString, force_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from havehus.messaging import texts
from havehus.models import Booking, Participant, Session
from havehus.people.audit import Actor
from havehus.program.results import ChangeSummary

#: Bookings whose holders are told about a change.
NOTIFIED = ("confirmed", "offered", "waitlisted")


def house_text(message: LazyString) -> str:
    """A stored text in the house's language (Danish), e.g. an automatic cancel reason.

    Callers pass `_l("…")`, so the words are extracted into the catalogues.
    """
    with force_locale("da"):
        return str(message)


def queue_notices(
    orm: OrmSession,
    session: Session,
    kind: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    summary: ChangeSummary,
    *,
    old_start: datetime | None = None,
) -> None:
    """A change text in the outbox for every booked or waitlisted person with a phone.

    `kind` is one of texts.CHANGES. Adds to the summary how many were queued, and how many
    people said STOP to texts and must be told another way.
    """
    rows = orm.execute(
        select(Booking, Participant)
        .join(Participant, Booking.participant_id == Participant.id)
        .where(
            Booking.status.in_(NOTIFIED),
            or_(Booking.session_id == session.id, Booking.activity_id == session.activity_id),
            Participant.phone.is_not(None),
            Participant.anonymised_at.is_(None),
        )
        .order_by(Booking.id)
    ).all()
    expires = max(session.starts_at, old_start or session.starts_at)
    stopped = texts.opted_out_among(orm, [person.phone for _booking, person in rows])
    for booking, person in rows:
        assert person.phone is not None
        if person.phone in stopped:
            # Nothing goes to a number that said STOP: staff see it beside the name and call.
            summary.unreached += 1
            continue
        # A change to a booking is news the person needs, so no reminder consent is asked.
        summary.notices += texts.queue(
            orm,
            phone=person.phone,
            language=person.language,
            body=texts.change_text(kind, session, person.language, tz, old_start),
            kind="change",
            now=now,
            participant=person,
            booking_id=booking.id,
            session_id=session.id,
            dedupe_key=f"change:{booking.id}:{session.id}:{session.sequence}",
            expires_at=expires,
            needs_consent=False,
            created_by_id=actor.user_id,
        )
