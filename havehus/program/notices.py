"""Change notices: the text every booked or waitlisted person gets when their session changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from havehus.config import Settings
from havehus.i18n import KNOWN_LANGUAGES
from havehus.messaging import kinds, outgoing
from havehus.models import Booking, Participant, Session
from havehus.models.signup import OPEN
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.program.results import ChangeSummary
from havehus.program.wording import notice_title, notice_when

#: The kinds of text about changes to a session (the planner's cancel, move, room, reinstate).
CHANGES = ("cancelled", "moved", "room", "reinstated")
#: How far the preview's sample "moved" text says the session moved.
DAY = timedelta(days=1)


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
    settings: Settings,
) -> None:
    """A change text in the outbox for every booked or waitlisted person with a phone.

    `kind` is one of CHANGES. Adds to the summary how many were queued, and how many
    people said STOP to texts and must be told another way.
    """
    rows = orm.execute(
        select(Booking, Participant)
        .join(Participant, Booking.participant_id == Participant.id)
        .where(
            Booking.status.in_(OPEN),
            or_(Booking.session_id == session.id, Booking.activity_id == session.activity_id),
            Participant.phone.is_not(None),
            Participant.anonymised_at.is_(None),
        )
        .order_by(Booking.id)
    ).all()
    expires = max(session.starts_at, old_start or session.starts_at)
    stopped = outgoing.opted_out_among(orm, [person.phone for _booking, person in rows], settings)
    for booking, person in rows:
        assert person.phone is not None
        if person.phone in stopped:
            # Nothing goes to a number that said STOP: staff see it beside the name and call.
            summary.unreached += 1
            continue
        # A change to a booking is news the person needs, so no reminder consent is asked.
        summary.notices += outgoing.queue(
            orm,
            phone=person.phone,
            language=person.language,
            body=change_text(kind, session, person.language, tz, old_start),
            kind="change",
            now=now,
            participant=person,
            booking_id=booking.id,
            session_id=session.id,
            dedupe_key=f"change:{booking.id}:{session.id}:{session.sequence}",
            expires_at=expires,
            needs_consent=False,
            created_by_id=actor.user_id,
            settings=settings,
        )


def change_text(
    change: str,
    session: Session,
    language: str,
    tz: ZoneInfo,
    old_start: datetime | None = None,
) -> str:
    """A session was cancelled, moved, given a new room, or takes place after all."""
    title = notice_title(session.activity, language)
    when = notice_when(session.starts_at, language, tz)
    with force_locale(language if language in KNOWN_LANGUAGES else "da"):
        if change == "cancelled":
            return _(
                "Cancelled: %(title)s, %(when)s. %(reason)s",
                title=title,
                when=when,
                reason=session.cancel_reason or "",
            ).strip()
        if change == "reinstated":
            return _("It takes place after all: %(title)s, %(when)s.", title=title, when=when)
        if change == "room":
            room = session.effective_room
            return _(
                "New room for %(title)s, %(when)s: %(room)s.",
                title=title,
                when=when,
                room=room.name if room else "",
            )
        return _(
            "New time: %(title)s is now %(when)s (was %(old)s).",
            title=title,
            when=when,
            old=notice_when(old_start or session.starts_at, language, tz),
        )


def register_samples() -> None:
    """Hand messaging a sample of the change texts, for the staff preview."""
    kinds.register("change", samples={
        "cancelled": lambda s, lang, settings: change_text("cancelled", s, lang, settings.tz),
        "moved": lambda s, lang, settings: change_text(
            "moved", s, lang, settings.tz, s.starts_at - DAY
        ),
    })  # fmt: skip
