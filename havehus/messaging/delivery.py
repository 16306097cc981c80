"""Delivery reports: Twilio's status callbacks, recorded without ever going backwards."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount
from havehus.messaging.numbers import mark_number
from havehus.models import MessageStatus, OutboundMessage
from havehus.orm import OrmSession

log = logging.getLogger("havehus.messaging")

#: Twilio's message statuses as ours: still on its way (sent), or a final outcome.
TWILIO_STATUSES = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
#: How far along a text is; a report may only move it further. Callbacks arrive out of order
#: (delivered before sent), and a final outcome is never replaced by another.
RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.CLAIMED: 0,
    MessageStatus.UNKNOWN: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.UNDELIVERED: 2,
    MessageStatus.FAILED: 2,
}


def record_status(
    orm: OrmSession,
    sid: str,
    twilio_status: str,
    error_code: int | None,
    now: datetime,
    settings: Settings,
) -> bool:
    """Record what Twilio says about one of our texts; False when the report changed nothing.

    An unknown SID (not ours, or a callback that overtook the worker's commit) is ignored. An
    error that says something about the number (invalid, unsubscribed) marks it even when the
    report itself comes late.
    """
    status = TWILIO_STATUSES.get(twilio_status.strip().lower())
    message = orm.scalar(select(OutboundMessage).where(OutboundMessage.provider_sid == sid))
    if message is None:
        log.info("Status %r for unknown text %s ignored", twilio_status, sid)
        return False
    if status is None:
        log.info("Status %r of text %s is not one we record", twilio_status, sid)
        return False
    behind = [name for name, rank in RANK.items() if rank < RANK[status]]
    values: dict[str, object] = {"status": status, "status_updated_at": now}
    if status == MessageStatus.DELIVERED:
        values["delivered_at"] = now
    if error_code is not None:
        values["error_code"] = error_code
        values["last_error"] = f"Twilio error {error_code} ({twilio_status})"
    # One conditional UPDATE: two callbacks racing cannot move the status backwards.
    moved = execute_rowcount(
        orm,
        update(OutboundMessage)
        .where(OutboundMessage.id == message.id, OutboundMessage.status.in_(behind))
        .values(values),
    )
    orm.expire(message)
    if error_code is not None:
        mark_number(orm, message.to_phone, error_code, now, settings)
    if moved != 1:
        log.info("Status %r of text %s came after a later one; kept", twilio_status, sid)
    return moved == 1
