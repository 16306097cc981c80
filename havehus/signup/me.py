"""A person's own page, /me/<token>: their bookings, language, calendar, and erasure request.

The same token opens /me/<token>.ics. It is derived from the app's secret and the person's
live personal feed token, so every text can carry the same link; revoking that feed token
revokes the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from havehus.config import Settings
from havehus.errors import HavehusError
from havehus.feeds.tokens import (
    create_derived_feed_token,
    derived_feed_token,
    find_feed_token,
)
from havehus.i18n import KNOWN_LANGUAGES
from havehus.models import Booking, FeedToken, Participant, Session
from havehus.models.signup import OPEN
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor


def _live_token(orm: OrmSession, participant: Participant) -> FeedToken | None:
    return orm.scalar(
        select(FeedToken)
        .where(
            FeedToken.kind == "personal",
            FeedToken.participant_id == participant.id,
            FeedToken.revoked_at.is_(None),
        )
        .order_by(FeedToken.id)
        .limit(1)
    )


def existing_personal_token(
    orm: OrmSession, participant: Participant, settings: Settings
) -> str | None:
    """The person's "my bookings" token if they have one (read-only, for GET requests)."""
    token = _live_token(orm, participant)
    return derived_feed_token(token, settings.secret_key) if token is not None else None


def personal_token(
    orm: OrmSession, participant: Participant, now: datetime, settings: Settings
) -> str:
    """The person's "my bookings" token, created once and the same every time after."""
    token = _live_token(orm, participant)
    if token is not None:
        return derived_feed_token(token, settings.secret_key)
    _token, raw = create_derived_feed_token(
        orm, "personal", now, settings.secret_key, name="", language=participant.language,
        participant_id=participant.id,
    )  # fmt: skip
    return raw


def find_person(orm: OrmSession, raw: str) -> Participant | None:
    token = find_feed_token(orm, raw, "personal")
    if token is None or token.participant is None or token.participant.anonymised_at:
        return None
    return token.participant


def upcoming_bookings(orm: OrmSession, person: Participant, now: datetime) -> Sequence[Booking]:
    """Live bookings of sessions that have not ended, and of courses with sessions ahead."""
    session_ends = select(Session.ends_at).where(Session.id == Booking.session_id)
    course_ahead = select(func.max(Session.ends_at)).where(
        Session.activity_id == Booking.activity_id
    )
    bookings = orm.scalars(
        select(Booking).where(
            Booking.participant_id == person.id,
            Booking.status.in_(OPEN),
            or_(
                session_ends.scalar_subquery() > now,
                course_ahead.scalar_subquery() > now,
            ),
        )
    ).all()
    return sorted(bookings, key=lambda b: b.session.starts_at if b.session else now)


def set_language(orm: OrmSession, person: Participant, language: str) -> None:
    if language not in KNOWN_LANGUAGES:
        raise HavehusError(_("Unknown language."), "invalid_language")
    person.language = language
    orm.execute(
        FeedToken.__table__.update()
        .where(FeedToken.participant_id == person.id, FeedToken.kind == "personal")
        .values(language=language)
    )


def request_erasure(orm: OrmSession, person: Participant, now: datetime, ip: str) -> None:
    """The person asks for their data to be deleted; a manager confirms it."""
    if person.erasure_requested_at is None:
        person.erasure_requested_at = now
        audit.record(
            orm, "participant.erasure_requested", now, Actor("public", ip=ip), target=person
        )
