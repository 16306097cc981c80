"""What the SMS provider tells us about a phone number: unreachable, or unsubscribed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from havehus.config import Settings
from havehus.messaging import outgoing
from havehus.models import Participant
from havehus.orm import OrmSession

#: Twilio's error codes for an invalid number and for one that replied STOP on Twilio's side.
INVALID_NUMBER, UNSUBSCRIBED = 21211, 21610


def mark_number(
    orm: OrmSession, phone: str, code: int | None, now: datetime, settings: Settings
) -> None:
    """Remember what a permanent error says about the number, so staff see it.

    Used by the outbox (an error when sending) and by the status callback (an error reported
    later); other codes say nothing about the number and change nothing.
    """
    if code == INVALID_NUMBER:
        orm.execute(
            update(Participant).where(Participant.phone == phone).values(phone_unreachable=True)
        )
    elif code == UNSUBSCRIBED:
        # Twilio blocks the number on its side after STOP: mirror it, so nothing else is queued.
        outgoing.record_stop(orm, phone, now, "provider", settings)
