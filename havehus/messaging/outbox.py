"""The outbox: claim due texts atomically, send them once, record the outcome.

Nothing lost, nothing twice: a text whose outcome was lost (the worker died, or Twilio's answer
never came) becomes `unknown` and is looked up at the provider before anything else happens to
it — recorded as sent when the provider has it, sent again only when it provably does not.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from time import monotonic

from sqlalchemy import or_, select, update

from havehus import logs
from havehus.config import Settings
from havehus.database import read_only_transactions
from havehus.dbutil import execute_rowcount
from havehus.messaging import failpoints, guards, kinds
from havehus.messaging.gateway import (
    Gateway,
    LookupFailedError,
    ProviderMessage,
    SentText,
)
from havehus.messaging.kinds import Unwanted
from havehus.messaging.outgoing import opted_out_among
from havehus.messaging.quiet import QuietHours, in_quiet_hours, quiet_period_end
from havehus.messaging.sending import (
    MAX_ATTEMPTS,
    Answer,
    OutboxRun,
    Outgoing,
    deliver,
    record,
)
from havehus.models import Booking, MessageStatus, OutboundMessage, Participant, Session
from havehus.orm import OrmSession

log = logging.getLogger("havehus.messaging")


#: An unknown text is looked up only once its attempt is this old, so that the provider's list
#: of messages has caught up: "not found" then really means "never taken".
RECONCILE_AFTER = timedelta(minutes=10)
#: Texts claimed per round trip to the database.
BATCH = 50
#: Answers recorded per transaction (and at the end of every batch).
RECORD_EVERY = 10


def _mark_stale(orm: OrmSession, now: datetime) -> tuple[int, int]:
    """Drop texts that are too late to send, and flag claims whose worker vanished.

    A claim whose lease ran out may or may not have been sent: it becomes `unknown` and is
    never resent blindly (nothing twice). It keeps its `lease_until`: the attempt began at most
    one lease before, which is where reconciliation starts looking.
    """
    expired = execute_rowcount(
        orm,
        update(OutboundMessage)
        .where(
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.expires_at.is_not(None),
            OutboundMessage.expires_at <= now,
        )
        .values(status=MessageStatus.SKIPPED, last_error="expired before it could be sent"),
    )
    lost = execute_rowcount(
        orm,
        update(OutboundMessage)
        .where(OutboundMessage.status == MessageStatus.CLAIMED, OutboundMessage.lease_until < now)
        .values(status=MessageStatus.UNKNOWN, last_error="worker lease ran out; outcome unknown"),
    )
    return int(expired or 0), int(lost or 0)


def reason_not_to_send(
    orm: OrmSession,
    message: OutboundMessage,
    now: datetime,
    settings: Settings,
    opted_out: Collection[str] | None = None,
) -> Unwanted | None:
    """Why a claimed text must not go out after all; None when it still should.

    `opted_out`, when given, holds the numbers of the batch that said STOP (one query for
    the whole batch instead of one per text).
    """
    # Checked at send time, not only when queued: much can change in the hours between.
    # After STOP nothing goes to the number, whatever its kind, until it says START.
    if opted_out is None:
        opted_out = opted_out_among(orm, [message.to_phone], settings)
    if message.to_phone in opted_out:
        return Unwanted("the number opted out")
    check = kinds.still_wanted_check(message.kind)
    return check(orm, message, now) if check is not None else None


def _quiet_hours_wait(
    orm: OrmSession, message: OutboundMessage, now: datetime, quiet: QuietHours | None
) -> tuple[datetime | None, str | None]:
    """A text due inside quiet hours (the worker was down): wait for their end, or drop it.

    Only kinds registered as waiting for quiet hours (reminders) wait. Returns (postpone
    until, None), (None, reason to skip) or (None, None) to send now.
    """
    if quiet is None or not kinds.waits_for_quiet_hours(message.kind):
        return None, None
    if not in_quiet_hours(now, quiet.start, quiet.end, quiet.tz):
        return None, None
    resume = quiet_period_end(now, quiet.end, quiet.tz)
    session = orm.get(Session, message.session_id) if message.session_id else None
    if session is not None and resume < session.starts_at:
        return resume, None
    return None, "quiet hours last until the session starts"


def claim_due(
    orm: OrmSession, now: datetime, worker_id: str, lease_seconds: int, limit: int = BATCH
) -> list[int]:
    """Claim up to `limit` due texts for this worker; each row is claimed by exactly one worker."""
    due = (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == MessageStatus.PENDING, OutboundMessage.send_after <= now)
        .order_by(OutboundMessage.send_after, OutboundMessage.id)
        .limit(limit)
    )
    if orm.get_bind().dialect.name == "postgresql":
        # Rows another worker is claiming right now are skipped, not waited for: two workers
        # take disjoint batches side by side instead of queueing behind one another.
        condition = OutboundMessage.id.in_(due.with_for_update(skip_locked=True))
    else:
        # SQLite: the write transaction (BEGIN IMMEDIATE) serialises claimers, and the
        # conditional UPDATE is the lock: a row another worker took is no longer 'pending'.
        ids = orm.scalars(due).all()
        if not ids:
            return []
        condition = OutboundMessage.id.in_(ids)
    claimed = orm.scalars(
        update(OutboundMessage)
        .where(condition, OutboundMessage.status == MessageStatus.PENDING)
        .values(
            status=MessageStatus.CLAIMED,
            claimed_by=worker_id,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=OutboundMessage.attempts + 1,
        )
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed)


def _unrecorded(
    orm: OrmSession, matches: list[ProviderMessage], message_id: int
) -> ProviderMessage | None:
    """The first match whose SID no other outbox row holds (the same text sent before)."""
    if not matches:
        return None
    taken = set(
        orm.scalars(
            select(OutboundMessage.provider_sid).where(
                OutboundMessage.provider_sid.in_([m.sid for m in matches]),
                OutboundMessage.id != message_id,
            )
        )
    )
    return next((m for m in matches if m.sid not in taken), None)


#: Twilio's status of a text it holds → the outbox status we record for it.
_PROVIDER_STATUS = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}


def reconcile_unknown(
    orm: OrmSession, gateway: Gateway, now: datetime, lease_seconds: int, run: OutboxRun
) -> None:
    """Look every unknown text up at the provider before anything is retried.

    Found → recorded as the provider has it (SID, segments, status). Not found, and the
    attempt is older than RECONCILE_AFTER → it was never taken: pending again (the lost
    attempt counted; after MAX_ATTEMPTS it fails; past its `expires_at` it is skipped; not
    before its own `send_after`). The lookup failing → it stays unknown and
    is tried at the next run. Every write is conditional on the row still being `unknown`,
    so two workers reconciling at once agree. No transaction is open during the lookups.
    """
    cutoff = now - RECONCILE_AFTER
    rows = orm.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.to_phone,
            OutboundMessage.body,
            OutboundMessage.provider_sid,
            OutboundMessage.lease_until,
            OutboundMessage.created_at,
            OutboundMessage.attempts,
            OutboundMessage.send_after,
            OutboundMessage.expires_at,
        )
        .where(
            OutboundMessage.status == MessageStatus.UNKNOWN,
            or_(OutboundMessage.lease_until.is_(None), OutboundMessage.lease_until <= cutoff),
        )
        .order_by(OutboundMessage.id)
    ).all()
    orm.commit()
    for row in rows:
        # The attempt began at most one lease before the lease ran out (or after queueing).
        since = (
            row.lease_until - timedelta(seconds=lease_seconds)
            if row.lease_until is not None
            else row.created_at
        )
        try:
            result = gateway.lookup(SentText(row.to_phone, row.body, since, row.provider_sid))
        except LookupFailedError as exc:
            log.warning("Text %s stays unknown; looking it up failed: %s", row.id, exc)
            run.unresolved += 1
            continue
        still_unknown = (
            OutboundMessage.id == row.id,
            OutboundMessage.status == MessageStatus.UNKNOWN,
        )
        match = _unrecorded(orm, result.matches, row.id)
        if match is not None:
            status = _PROVIDER_STATUS.get(match.status, MessageStatus.SENT)
            values: dict[str, object] = dict(
                status=status,
                provider_sid=match.sid,
                segments=match.segments,
                sent_at=match.sent_at or since,
                error_code=match.error_code,
                status_updated_at=now,
                last_error=f"outcome was unknown; found at the provider ({match.status})",
                lease_until=None,
            )
            if status == MessageStatus.DELIVERED:
                values["delivered_at"] = now
            done = execute_rowcount(
                orm, update(OutboundMessage).where(*still_unknown).values(**values)
            )
            if done == 1:
                log.info("Text %s was sent after all (%s)", row.id, match.sid)
                run.reconciled.append(row.id)
        elif row.attempts >= MAX_ATTEMPTS:
            orm.execute(
                update(OutboundMessage)
                .where(*still_unknown)
                .values(
                    status=MessageStatus.FAILED,
                    lease_until=None,
                    last_error=f"not found at the provider after {row.attempts} attempts",
                )
            )
            run.failed.append(row.id)
        elif row.expires_at is not None and row.expires_at <= now:
            done = execute_rowcount(
                orm,
                update(OutboundMessage)
                .where(*still_unknown)
                .values(
                    status=MessageStatus.SKIPPED,
                    lease_until=None,
                    claimed_by=None,
                    last_error="outcome was unknown; the provider never took it; now too late",
                ),
            )
            if done == 1:
                run.skipped.append(row.id)
        else:
            done = execute_rowcount(
                orm,
                update(OutboundMessage)
                .where(*still_unknown)
                .values(
                    status=MessageStatus.PENDING,
                    # Not before it was due (a text restored from a backup may be due later).
                    send_after=max(row.send_after, now),
                    lease_until=None,
                    claimed_by=None,
                    last_error="outcome was unknown; the provider never took it: sending again",
                ),
            )
            if done == 1:
                log.info("Text %s never reached the provider; it will be sent again", row.id)
                run.requeued.append(row.id)
        orm.commit()


def process_due(
    orm: OrmSession,
    gateway: Gateway,
    now: datetime,
    worker_id: str,
    lease_seconds: int,
    *,
    settings: Settings,
    quiet: QuietHours | None = None,
    batch: int = BATCH,
) -> OutboxRun:
    """Reconcile unknown texts, then send every text due at `now`, in batches until none is left.

    Per batch: one transaction claims, one checks every claimed text (booking, session,
    opt-out, quiet hours, guard rails); then the texts are sent and the answers recorded,
    RECORD_EVERY at a time in one short transaction. No transaction is open while the provider
    is asked, so another worker is never blocked by a slow answer. Answers not yet recorded
    when a worker dies are not lost: their claims run out and reconciliation finds the texts.
    """
    run = OutboxRun()
    run.expired, run.lease_lost = _mark_stale(orm, now)
    orm.commit()
    reconcile_unknown(orm, gateway, now, lease_seconds, run)
    while True:
        claimed = claim_due(orm, now, worker_id, lease_seconds, batch)
        orm.commit()
        if not claimed:
            return run
        # Real time, not `now`: other workers judge our lease by their clocks. A batch not
        # sent within half the lease (a slow provider) is handed back before the lease ends.
        deadline = monotonic() + lease_seconds / 2
        failpoints.hit("after-claim")
        limits = guards.Limits.from_settings(settings)
        outgoing = _vet(orm, claimed, now, worker_id, quiet, limits, run, settings)
        answers: list[Answer] = []
        for n, text in enumerate(outgoing):
            if monotonic() > deadline:
                record(orm, answers, worker_id, now, settings)
                _hand_back_unsent(orm, [t.id for t in outgoing[n:]], worker_id)
                answers = []
                break
            with logs.use_request_id(text.request_id), logs.sensitive(text.name):
                answers.append(deliver(gateway, text, now, run))
            if len(answers) >= RECORD_EVERY:
                record(orm, answers, worker_id, now, settings)
                answers = []
        record(orm, answers, worker_id, now, settings)


def _hand_back_unsent(orm: OrmSession, ids: list[int], worker_id: str) -> None:
    orm.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(ids),
            OutboundMessage.claimed_by == worker_id,
            OutboundMessage.status == MessageStatus.CLAIMED,
        )
        .values(
            status=MessageStatus.PENDING,
            attempts=OutboundMessage.attempts - 1,
            lease_until=None,
            claimed_by=None,
        )
        .execution_options(synchronize_session=False)
    )
    orm.commit()


def _vet(
    orm: OrmSession,
    claimed: list[int],
    now: datetime,
    worker_id: str,
    quiet: QuietHours | None,
    limits: guards.Limits,
    run: OutboxRun,
    settings: Settings,
) -> list[Outgoing]:
    """Check a batch of claimed texts; skip or postpone what must not go; return the rest.

    The checks only read, in a DEFERRED transaction on SQLite, so they never hold the write
    lock that the other workers need to claim and record; the few resulting writes follow
    in one short transaction. Commits.
    """
    skips: list[tuple[int, Unwanted]] = []
    hand_backs: list[tuple[int, datetime]] = []
    outgoing: list[Outgoing] = []
    with read_only_transactions():
        messages = orm.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(claimed))
            .order_by(OutboundMessage.id)
        ).all()
        # The batch's bookings and sessions in two queries: the checks below find them in
        # the session's identity map instead of asking the database once per text.
        booking_ids = {m.booking_id for m in messages if m.booking_id is not None}
        session_ids = {m.session_id for m in messages if m.session_id is not None}
        if booking_ids:
            orm.scalars(select(Booking).where(Booking.id.in_(booking_ids))).all()
        if session_ids:
            orm.scalars(select(Session).where(Session.id.in_(session_ids))).all()
        phones = {m.to_phone for m in messages}
        people = {m.participant_id for m in messages if m.participant_id is not None}
        names: dict[int, str] = (
            dict(
                orm.execute(
                    select(Participant.id, Participant.display_name).where(
                        Participant.id.in_(people)
                    )
                ).all()
            )
            if people
            else {}
        )
        opted_out = opted_out_among(orm, phones, settings)
        recent = guards.texts_in_last_day_for(orm, phones, now) if limits.daily_limit else {}
        used = (
            guards.budget(orm, now, limits)
            if any(m.kind not in guards.ESSENTIAL_KINDS for m in messages)
            else None
        )
        numbers: set[str] = set()
        for message in messages:
            if message.to_phone in numbers:
                # A second text to one number in one batch: it goes in the next batch, once
                # the first is recorded, so the daily cap per number counts the first.
                hand_backs.append((message.id, message.send_after))
                continue
            unwanted = reason_not_to_send(orm, message, now, settings, opted_out)
            if unwanted is None:
                resume, reason = _quiet_hours_wait(orm, message, now, quiet)
                if resume is not None:
                    hand_backs.append((message.id, resume))
                    run.postponed.append(message.id)
                    continue
                if reason is None:
                    # Countries, the daily cap per number and the monthly budget (guards.py).
                    reason = guards.reason_to_hold(
                        orm, message, now, limits, recent=recent, used=used
                    )
                unwanted = Unwanted(reason) if reason is not None else None
            if unwanted is not None:
                skips.append((message.id, unwanted))
                run.skipped.append(message.id)
                continue
            validity = None
            if message.expires_at is not None:
                validity = int((message.expires_at - now).total_seconds())
            outgoing.append(
                Outgoing(
                    message.id,
                    message.to_phone,
                    message.body,
                    validity,
                    message.attempts,
                    message.request_id,
                    names.get(message.participant_id) if message.participant_id else None,
                )
            )
            numbers.add(message.to_phone)
        orm.rollback()  # only read: end the snapshot
    ours = (
        OutboundMessage.claimed_by == worker_id,
        OutboundMessage.status == MessageStatus.CLAIMED,
    )
    for message_id, unwanted in skips:
        values: dict[str, object] = dict(
            status=MessageStatus.SKIPPED, last_error=unwanted.reason, lease_until=None
        )
        if unwanted.queue_again:
            values["dedupe_key"] = None  # its domain queues it afresh
        orm.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, *ours)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    for message_id, send_after in hand_backs:
        # Not an attempt: the claim is handed back, to go later.
        orm.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, *ours)
            .values(
                status=MessageStatus.PENDING,
                send_after=send_after,
                attempts=OutboundMessage.attempts - 1,
                lease_until=None,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
    orm.commit()
    return outgoing
