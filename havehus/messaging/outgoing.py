"""Putting a text in the outbox: whom it may reach (consent, STOP) and the public links in it.

Messaging knows no wording: the domains word their texts (signup/texts.py,
program/notices.py) and queue them here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, delete, select

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.logs import current_request_id
from havehus.messaging import optout_log
from havehus.models import Consent, MessageStatus, OptOut, OutboundMessage, Participant
from havehus.orm import OrmSession


def has_sms_consent(orm: OrmSession, participant: Participant) -> bool:
    return bool(
        orm.scalar(
            select(Consent.id).where(
                Consent.participant_id == participant.id,
                Consent.kind == "sms",
                Consent.withdrawn_at.is_(None),
            )
        )
    )


def opted_out_hashes() -> Select[str]:
    """The hash of every number that said STOP (and not START since)."""
    return select(OptOut.phone_hash)


def opted_out_among(orm: OrmSession, phones: Iterable[str | None], settings: Settings) -> set[str]:
    """Those of `phones` that said STOP (and not START since)."""
    by_hash = {optout_log.number_key(phone, settings): phone for phone in set(phones) if phone}
    if not by_hash:
        return set()
    found = orm.scalars(opted_out_hashes().where(OptOut.phone_hash.in_(list(by_hash))))
    return {by_hash[key] for key in found}


def opted_out(orm: OrmSession, phone: str, settings: Settings) -> bool:
    return bool(opted_out_among(orm, [phone], settings))


def record_stop(
    orm: OrmSession, phone: str, now: datetime, source: str, settings: Settings
) -> bool:
    """Remember that the number said STOP (as its keyed hash); True when it is new.

    `source`: "sms" (a STOP reply), "provider" (Twilio's error 21610) or "staff".
    """
    key = optout_log.number_key(phone, settings)
    added = insert_ignoring_conflicts(
        orm, OptOut, [{"phone_hash": key, "opted_out_at": now, "source": source}]
    )
    optout_log.append(settings, key, optout_log.STOP, source, now)
    return bool(added)


def record_start(
    orm: OrmSession, phone: str, now: datetime, source: str, settings: Settings
) -> bool:
    """Forget the number's STOP (it said START); True when there was one."""
    key = optout_log.number_key(phone, settings)
    removed = execute_rowcount(orm, delete(OptOut).where(OptOut.phone_hash == key))
    optout_log.append(settings, key, optout_log.START, source, now)
    return bool(removed)


def queue(
    orm: OrmSession,
    *,
    phone: str,
    language: str,
    body: str,
    kind: str,
    now: datetime,
    participant: Participant | None = None,
    booking_id: int | None = None,
    session_id: int | None = None,
    dedupe_key: str | None = None,
    expires_at: datetime | None = None,
    needs_consent: bool = True,
    send_after: datetime | None = None,
    broadcast_id: int | None = None,
    created_by_id: int | None = None,
    settings: Settings,
) -> bool:
    """Put a text in the outbox for the worker; False when it must not be sent at all.

    Texts about someone's own booking need their SMS consent; a code they just asked for does
    not. A number that said STOP gets nothing. The dedupe key makes queueing idempotent.
    """
    if opted_out(orm, phone, settings):
        return False
    if needs_consent and (participant is None or not has_sms_consent(orm, participant)):
        return False
    added = insert_ignoring_conflicts(
        orm,
        OutboundMessage,
        [
            {
                "to_phone": phone,
                "participant_id": participant.id if participant else None,
                "language": language,
                "body": body,
                "kind": kind,
                "booking_id": booking_id,
                "session_id": session_id,
                "dedupe_key": dedupe_key,
                "send_after": send_after or now,
                "expires_at": expires_at,
                "status": MessageStatus.PENDING,
                "attempts": 0,
                "created_at": now,
                "broadcast_id": broadcast_id,
                "created_by_id": created_by_id,
                "request_id": current_request_id(),
            }
        ],
    )
    return added == 1 or dedupe_key is None


def replies_possible(settings: Settings) -> bool:
    """False when texts come from an alphanumeric sender ("Havehuset"): it cannot get replies."""
    sender = settings.twilio_from
    return not sender or sender.startswith("+")
