"""The outbox: claim due texts atomically, send them once, record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from havehus.messaging.gateway import Gateway
from havehus.models import OutboundMessage

log = logging.getLogger("havehus.messaging")


@dataclass
class OutboxRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: int = 0
    lease_lost: int = 0


def _mark_stale(orm: OrmSession, now: datetime) -> tuple[int, int]:
    """Drop texts that are too late to send, and flag claims whose worker vanished.

    A claim whose lease ran out may or may not have been sent: it becomes `unknown` and is
    never resent blindly (nothing twice).
    """
    expired = orm.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.status == "pending",
            OutboundMessage.expires_at.is_not(None),
            OutboundMessage.expires_at <= now,
        )
        .values(status="skipped", last_error="expired before it could be sent")
    ).rowcount
    lost = orm.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "claimed", OutboundMessage.lease_until < now)
        .values(status="unknown", last_error="worker lease ran out; outcome unknown")
    ).rowcount
    return int(expired or 0), int(lost or 0)


def claim_due(
    orm: OrmSession, now: datetime, worker_id: str, lease_seconds: int, limit: int = 50
) -> list[int]:
    """Claim up to `limit` due texts for this worker; each row is claimed by exactly one worker."""
    candidates = orm.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "pending", OutboundMessage.send_after <= now)
        .order_by(OutboundMessage.send_after, OutboundMessage.id)
        .limit(limit)
    ).all()
    claimed = []
    for message_id in candidates:
        # The conditional UPDATE is the lock: a row another worker took has status 'claimed'.
        result = orm.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending")
            .values(
                status="claimed",
                claimed_by=worker_id,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboundMessage.attempts + 1,
            )
        )
        if result.rowcount == 1:
            claimed.append(message_id)
    return claimed


def process_due(
    orm: OrmSession, gateway: Gateway, now: datetime, worker_id: str, lease_seconds: int
) -> OutboxRun:
    """Send every text due at `now`; commits after the claim and after each send."""
    run = OutboxRun()
    run.expired, run.lease_lost = _mark_stale(orm, now)
    claimed = claim_due(orm, now, worker_id, lease_seconds)
    orm.commit()
    for message_id in claimed:
        message = orm.get_one(OutboundMessage, message_id)
        try:
            result = gateway.send(message.to_phone, message.body)
        except Exception as exc:  # the gateway reports every failure the same way
            log.warning("Sending text %s failed: %s", message_id, exc)
            message.status = "failed"
            message.last_error = str(exc)[:500]
            run.failed.append(message_id)
        else:
            message.status = "sent"
            message.provider_sid = result.provider_sid
            message.segments = result.segments
            message.sent_at = now
            run.sent.append(message_id)
        message.lease_until = None
        orm.commit()
    return run
