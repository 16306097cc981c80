"""Putting a text in the outbox: whom it may reach (consent, STOP) and the public links in it.

Messaging knows no wording: the domains word their texts (signup/texts.py,
program/notices.py) and queue them here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, select

from havehus.config import Settings
from havehus.dbutil import insert_ignoring_conflicts
from havehus.logs import current_request_id
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


def opted_out_numbers() -> Select[str]:
    """Every number that said STOP (and not START since): nothing at all goes to them."""
    return select(OptOut.phone)


def opted_out_among(orm: OrmSession, phones: Iterable[str | None]) -> set[str]:
    """Those of `phones` that said STOP (and not START since)."""
    wanted = {phone for phone in phones if phone}
    if not wanted:
        return set()
    return set(orm.scalars(opted_out_numbers().where(OptOut.phone.in_(wanted))))


def opted_out(orm: OrmSession, phone: str) -> bool:
    return bool(opted_out_among(orm, [phone]))


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
) -> bool:
    """Put a text in the outbox for the worker; False when it must not be sent at all.

    Texts about someone's own booking need their SMS consent; a code they just asked for does
    not. A number that said STOP gets nothing. The dedupe key makes queueing idempotent.
    """
    if opted_out(orm, phone):
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
