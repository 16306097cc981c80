"""The texts havehus sends, in the person's language, and putting them in the outbox."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from havehus.dbutil import insert_ignoring_conflicts
from havehus.i18n import pick
from havehus.models import Activity, Consent, OptOut, OutboundMessage, Participant, Session


def activity_name(activity: Activity, language: str) -> str:
    """What a text calls the activity: the neutral wording for a sensitive one."""
    if activity.sensitive and activity.neutral_title:
        return pick(activity.neutral_title, language)
    return pick(activity.title, language)


def when_text(session: Session, language: str) -> str:
    """E.g. "torsdag 3. december kl. 17:00" in the person's language and the house's zone."""
    with force_locale(language):
        return format_datetime(session.starts_at, _("EEEE d MMMM 'at' HH:mm"))


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


def opted_out(orm: OrmSession, phone: str) -> bool:
    return orm.scalar(select(OptOut.id).where(OptOut.phone == phone)) is not None


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
                "send_after": now,
                "expires_at": expires_at,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            }
        ],
    )
    return added == 1 or dedupe_key is None


def public_link(path: str) -> str:
    return current_app.config["HAVEHUS_PUBLIC_URL"].rstrip("/") + path
