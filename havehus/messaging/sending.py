"""Sending one checked text and recording what the provider answered: the outbox's last two
steps (`outbox.process_due` claims and vets the texts; `deliver` touches only the provider,
`record` only the database, so a batch's answers are written together).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, update

from havehus.config import Settings
from havehus.messaging import failpoints
from havehus.messaging.gateway import (
    Gateway,
    PermanentSendError,
    TransientSendError,
    UnknownOutcomeError,
)
from havehus.messaging.numbers import mark_number
from havehus.models import MessageStatus, OutboundMessage
from havehus.orm import OrmSession

log = logging.getLogger("havehus.messaging")

#: A text whose provider was unavailable is tried this many times in all, then marked failed.
MAX_ATTEMPTS = 5
#: The first retry waits about this long; each further one twice as long.
RETRY_BASE = timedelta(seconds=30)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter, so many failed texts do not all return at once."""
    return RETRY_BASE * (2 ** (attempts - 1)) * random.uniform(0.5, 1.0)


@dataclass
class OutboxRun:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    #: Reminders claimed inside quiet hours and put back until they end.
    postponed: list[int] = field(default_factory=list)
    #: Unknown texts the provider turned out to have: recorded, not sent again.
    reconciled: list[int] = field(default_factory=list)
    #: Unknown texts the provider never took: back in the queue.
    requeued: list[int] = field(default_factory=list)
    #: Unknown texts that could not be looked up this time (the provider was unreachable).
    unresolved: int = 0
    expired: int = 0
    lease_lost: int = 0


@dataclass(frozen=True)
class Outgoing:
    """A claimed text that passed every check, as plain values (no ORM object to refresh)."""

    id: int
    to: str
    body: str
    validity: int | None
    attempts: int
    #: The web request that queued it, for the log lines about sending it.
    request_id: str | None = None
    #: The person's name, masked in those log lines.
    name: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the provider said about one text, as the column values to record."""

    id: int
    values: dict[str, object]
    #: A permanent error says something about the number: (phone, Twilio's code).
    number: tuple[str, int | None] | None = None


def deliver(gateway: Gateway, text: Outgoing, now: datetime, run: OutboxRun) -> Answer:
    """Send one checked text; touches no database (the answer is recorded by `record`)."""
    message_id, attempts = text.id, text.attempts
    values: dict[str, object]
    try:
        result = gateway.send(text.to, text.body, text.validity)
    except TransientSendError as exc:
        failpoints.hit("after-answer")
        if attempts < MAX_ATTEMPTS:
            log.info("Text %s will be retried: %s", message_id, exc)
            values = dict(status=MessageStatus.PENDING, send_after=now + retry_delay(attempts))
            run.retrying.append(message_id)
        else:
            log.warning("Text %s failed after %s attempts: %s", message_id, MAX_ATTEMPTS, exc)
            values = dict(status=MessageStatus.FAILED)
            run.failed.append(message_id)
        values.update(last_error=str(exc)[:500], lease_until=None, claimed_by=None)
    except UnknownOutcomeError as exc:
        failpoints.hit("after-answer")
        # It keeps its lease_until: reconciliation looks it up once that is old enough.
        log.warning("Text %s may or may not have been sent: %s", message_id, exc)
        values = dict(status=MessageStatus.UNKNOWN, last_error=str(exc)[:500])
        run.unknown.append(message_id)
    except PermanentSendError as exc:
        failpoints.hit("after-answer")
        log.warning("Text %s cannot be delivered: %s", message_id, exc)
        values = dict(
            status=MessageStatus.FAILED,
            last_error=str(exc)[:500],
            error_code=exc.code,
            lease_until=None,
        )
        run.failed.append(message_id)
        return Answer(message_id, values, (text.to, exc.code))
    except Exception as exc:  # anything else: recorded, never retried blindly
        failpoints.hit("after-answer")
        log.warning("Sending text %s failed: %s", message_id, exc)
        values = dict(status=MessageStatus.FAILED, last_error=str(exc)[:500], lease_until=None)
        run.failed.append(message_id)
    else:
        failpoints.hit("after-answer")
        values = dict(
            status=MessageStatus.SENT,
            provider_sid=result.provider_sid,
            segments=result.segments,
            sent_at=now,
            lease_until=None,
        )
        run.sent.append(message_id)
    return Answer(message_id, values)


def record(
    orm: OrmSession, answers: list[Answer], worker_id: str, now: datetime, settings: Settings
) -> None:
    """Write answers in one transaction; answers of a kind go in one executemany."""
    if not answers:
        return
    table = OutboundMessage.__table__
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for answer in answers:
        if answer.number is not None:
            mark_number(orm, answer.number[0], answer.number[1], now, settings)
        keys = tuple(sorted(answer.values))
        row = {f"v_{key}": value for key, value in answer.values.items()}
        groups.setdefault(keys, []).append({"v_id": answer.id, **row})
    for keys, rows in groups.items():
        # Still ours, or marked unknown meanwhile because our lease ran out: the answer wins.
        # Core statements: nothing in the ORM session needs to know, and this is the hot path.
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("v_id"),
                table.c.claimed_by == worker_id,
                # Not IN (…): an expanding parameter cannot be used with executemany.
                or_(
                    table.c.status == MessageStatus.CLAIMED, table.c.status == MessageStatus.UNKNOWN
                ),
            )
            .values({key: bindparam(f"v_{key}") for key in keys})
        )
        orm.connection().execute(statement, rows)
    failpoints.hit("before-commit")
    orm.commit()
