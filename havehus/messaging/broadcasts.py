"""Broadcasts: a manager's text to everyone booked on a session or an activity, or news.

Practical notices (a change, the weather) go to the confirmed, offered and waitlisted bookings
whose person consented to texts. News counts as marketing: it goes only to people who gave the
separate "marketing" consent (and did not withdraw it), whether or not they booked. Numbers that
opted out, cannot be reached or are outside the allowed countries are left out and counted.
Sending twice from the same confirmation form changes nothing: each text's dedupe key carries
the form's one-time key.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from havehus.config import Settings
from havehus.errors import HavehusError
from havehus.messaging import guards, outgoing
from havehus.messaging.segments import SegmentInfo, describe
from havehus.models import (
    Activity,
    Booking,
    Broadcast,
    Consent,
    OutboundMessage,
    Participant,
    Session,
    SessionStatus,
)
from havehus.models.signup import OPEN
from havehus.orm import OrmSession
from havehus.people import audit, consents
from havehus.people.audit import Actor

PURPOSES = ("practical", "marketing")
#: Bookings a practical notice goes to (an offered seat is held for its person).
#: The longest text a manager may write in one language (about three GSM-7 segments).
MAX_CHARACTERS = 480
#: The language every broadcast must have; people whose language has no text get this one.
BASE_LANGUAGE = "da"
_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Target:
    """What a broadcast is about: one session, or an activity (its coming sessions)."""

    activity: Activity
    session: Session | None = None


@dataclass(frozen=True)
class Recipient:
    participant: Participant
    phone: str
    #: The language of the text they get: their own if the manager wrote one, else Danish.
    language: str


@dataclass(frozen=True)
class Audience:
    recipients: list[Recipient]
    #: People in the group who cannot get texts (no consent, opted out, no reachable number).
    excluded: int


@dataclass(frozen=True)
class LanguagePart:
    language: str
    people: int
    info: SegmentInfo


@dataclass(frozen=True)
class Preview:
    audience: Audience
    parts: list[LanguagePart]
    segments: int
    cost: float
    budget: guards.Budget
    #: True when this broadcast would take the month's segments past the budget.
    over_budget: bool


def new_key() -> str:
    """The one-time key of a confirmation form: a second submit of it sends nothing."""
    return secrets.token_hex(16)


def find_target(orm: OrmSession, session_id: int | None, slug: str | None) -> Target | None:
    if session_id is not None:
        session = orm.get(Session, session_id)
        return Target(session.activity, session) if session is not None else None
    if slug:
        activity = orm.scalar(select(Activity).where(Activity.slug == slug))
        return Target(activity) if activity is not None else None
    return None


def clean_texts(raw: dict[str, str], languages: list[str]) -> dict[str, str]:
    """The texts per language, stripped; Danish is required. HavehusError when unusable."""
    cleaned = {
        lang: (raw.get(lang) or "").strip() for lang in languages if (raw.get(lang) or "").strip()
    }
    if not cleaned.get(BASE_LANGUAGE):
        raise HavehusError(_("Write the text in Danish. Others get it in Danish too."), "no_danish")
    too_long = [lang for lang, text in cleaned.items() if len(text) > MAX_CHARACTERS]
    if too_long:
        raise HavehusError(
            _("Keep each text to %(max)d characters.", max=MAX_CHARACTERS), "too_long"
        )
    return cleaned


def _booked(orm: OrmSession, target: Target, now: datetime) -> list[Participant]:
    """People with a live booking for the session, or for the activity's coming sessions."""
    if target.session is not None:
        on_it = or_(
            Booking.session_id == target.session.id,
            Booking.activity_id == target.session.activity_id,
        )
    else:
        coming = select(Session.id).where(
            Session.activity_id == target.activity.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.ends_at > now,
        )
        on_it = or_(Booking.session_id.in_(coming), Booking.activity_id == target.activity.id)
    return list(
        orm.scalars(
            select(Participant)
            .join(Booking, Booking.participant_id == Participant.id)
            .where(on_it, Booking.status.in_(OPEN), Participant.anonymised_at.is_(None))
            .order_by(Participant.id)
            .distinct()
        )
    )


def _with_consent(orm: OrmSession, kind: str, ids: list[int] | None = None) -> set[int]:
    query = select(Consent.participant_id).where(consents.live(kind))
    if ids is not None:
        query = query.where(Consent.participant_id.in_(ids))
    return set(orm.scalars(query))


def audience(
    orm: OrmSession,
    target: Target,
    purpose: str,
    languages: list[str],
    now: datetime,
    limits: guards.Limits,
    settings: Settings,
) -> Audience:
    """Who gets the broadcast, in which language, and how many cannot get texts."""
    if purpose == "marketing":
        consenting = _with_consent(orm, "marketing")
        people = list(
            orm.scalars(
                select(Participant)
                .where(Participant.id.in_(consenting), Participant.anonymised_at.is_(None))
                .order_by(Participant.id)
            )
        )
        allowed = {p.id for p in people}
    else:
        people = _booked(orm, target, now)
        allowed = _with_consent(orm, "sms", [p.id for p in people])
    phones = [p.phone for p in people if p.phone]
    opted_out = outgoing.opted_out_among(orm, phones, settings)
    recipients: list[Recipient] = []
    seen: set[str] = set()
    excluded = 0
    for person in people:
        phone = person.phone
        if (
            not phone
            or person.id not in allowed
            or person.phone_unreachable
            or phone in opted_out
            or guards.region_of(phone) not in limits.allowed_countries
        ):
            excluded += 1
            continue
        if phone in seen:  # two people sharing one phone get one text
            continue
        seen.add(phone)
        language = person.language if person.language in languages else BASE_LANGUAGE
        recipients.append(Recipient(person, phone, language))
    return Audience(recipients, excluded)


def _pick_text(cleaned: dict[str, str], language: str) -> tuple[str, str]:
    if language in cleaned:
        return language, cleaned[language]
    return BASE_LANGUAGE, cleaned[BASE_LANGUAGE]


def preview(
    orm: OrmSession,
    target: Target,
    purpose: str,
    cleaned: dict[str, str],
    now: datetime,
    limits: guards.Limits,
    settings: Settings,
) -> Preview:
    """Recipients, segments and cost of a broadcast before it is sent."""
    group = audience(orm, target, purpose, list(cleaned), now, limits, settings)
    people: dict[str, int] = {}
    for recipient in group.recipients:
        language, _text = _pick_text(cleaned, recipient.language)
        people[language] = people.get(language, 0) + 1
    parts = [
        LanguagePart(language, people.get(language, 0), describe(text))
        for language, text in cleaned.items()
    ]
    segments = sum(part.people * part.info.segments for part in parts)
    budget = guards.budget(orm, now, limits)
    return Preview(
        audience=group,
        parts=parts,
        segments=segments,
        cost=segments * limits.price_per_segment,
        budget=budget,
        over_budget=bool(budget.limit) and budget.used + segments > budget.limit,
    )


def existing(orm: OrmSession, key: str) -> Broadcast | None:
    """The broadcast already sent from the confirmation form with this key, if any."""
    broadcast_id = orm.scalar(
        select(OutboundMessage.broadcast_id)
        .where(OutboundMessage.dedupe_key.like(f"broadcast:{key}:%"))
        .limit(1)
    )
    return orm.get(Broadcast, broadcast_id) if broadcast_id is not None else None


def send(
    orm: OrmSession,
    target: Target,
    purpose: str,
    cleaned: dict[str, str],
    key: str,
    now: datetime,
    actor: Actor,
    limits: guards.Limits,
    settings: Settings,
) -> tuple[Broadcast, bool]:
    """Put the broadcast's texts in the outbox; (broadcast, False) when this key sent already.

    Commits nothing. Each text's dedupe key is "broadcast:<form key>:<participant>", so a
    second submit of the same form (even at the same moment, from another web process) adds
    no text and no second broadcast.
    """
    if purpose not in PURPOSES or not _KEY.fullmatch(key):
        raise HavehusError(_("The form was not complete. Please start again."), "invalid")
    done = existing(orm, key)
    if done is not None:
        return done, False
    group = audience(orm, target, purpose, list(cleaned), now, limits, settings)
    if not group.recipients:
        raise HavehusError(_("Nobody in this group can get texts."), "no_recipients")
    savepoint = orm.begin_nested()
    broadcast = Broadcast(
        purpose=purpose,
        session_id=target.session.id if target.session is not None else None,
        activity_id=target.activity.id if target.session is None else None,
        texts=cleaned,
        created_by_id=actor.user_id,
        created_at=now,
    )
    orm.add(broadcast)
    orm.flush()
    expires = target.session.ends_at if target.session is not None else None
    recipients = segments = 0
    for recipient in group.recipients:
        language, text = _pick_text(cleaned, recipient.language)
        added = outgoing.queue(
            orm,
            phone=recipient.phone,
            language=language,
            body=text,
            kind="broadcast",
            now=now,
            participant=recipient.participant,
            session_id=target.session.id if target.session is not None else None,
            dedupe_key=f"broadcast:{key}:{recipient.participant.id}",
            expires_at=expires,
            needs_consent=False,  # checked above, for the purpose's own consent
            broadcast_id=broadcast.id,
            created_by_id=actor.user_id,
            settings=settings,
        )
        if added:
            recipients += 1
            segments += describe(text).segments
    if recipients == 0:
        # Another request with the same key got there first: keep only its broadcast.
        savepoint.rollback()
        done = existing(orm, key)
        if done is None:
            raise HavehusError(_("Nobody in this group can get texts."), "no_recipients")
        return done, False
    savepoint.commit()
    broadcast.recipients, broadcast.segments = recipients, segments
    audit.record(
        orm,
        "broadcast.send",
        now,
        actor,
        target=broadcast,
        details={
            "purpose": purpose,
            "recipients": recipients,
            "excluded": group.excluded,
            "segments": segments,
            "activity": target.activity.slug,
            "session": target.session.id if target.session is not None else None,
        },
    )
    return broadcast, True
