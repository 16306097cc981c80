"""Reminders before a session: queued once per booking and offset, never in quiet hours.

Also the texts to a companion (følgeskab), to people who asked to be reminded of a drop-in
session, and to hosts before their shift; and what messaging checks again before it sends them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount
from havehus.messaging import kinds, outgoing
from havehus.messaging.kinds import Unwanted
from havehus.messaging.quiet import due_at, in_quiet_hours, quiet_period_end
from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    MessageStatus,
    OutboundMessage,
    ReminderRequest,
    Session,
    SessionStatus,
    StaffUser,
    session_host,
)
from havehus.orm import OrmSession
from havehus.signup import texts
from havehus.signup.me import personal_token
from havehus.signup.tokens import booking_url


def _booking_link(orm: OrmSession, booking: Booking, settings: Settings) -> str:
    """The booking's link; the nonce is set by a conditional UPDATE so racing workers agree."""
    if booking.link_nonce is None:
        orm.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.link_nonce.is_(None))
            .values(link_nonce=secrets.token_hex(16))
        )
        orm.refresh(booking)
    return booking_url(booking, settings)


def reminder_body(booking: Booking, session: Session, link: str, settings: Settings) -> str:
    """The reminder in the person's language, with the neutral wording where needed."""
    return texts.reminder_text(
        session, booking.participant.language, link, can_reply=outgoing.replies_possible(settings)
    )


def _bookings_of(orm: OrmSession, session: Session) -> list[Booking]:
    """Confirmed bookings of a session, and of its course when it is one."""
    return list(
        orm.scalars(
            select(Booking)
            .where(
                Booking.status == BookingStatus.CONFIRMED,
                or_(Booking.session_id == session.id, Booking.activity_id == session.activity_id),
            )
            .order_by(Booking.id)
        )
    )


def queue_reminders(
    orm: OrmSession,
    now: datetime,
    *,
    quiet_start: time,
    quiet_end: time,
    tz: ZoneInfo,
    settings: Settings,
) -> int:
    """Queue the reminders due at `now`; returns how many were queued. Commits nothing.

    Of several offsets due at once (the worker was down) only the latest reminder (the smallest
    offset) is queued, and earlier ones still waiting in the outbox are skipped.
    """
    queued = queue_shift_reminders(
        orm, now, quiet_start=quiet_start, quiet_end=quiet_end, tz=tz, settings=settings
    )
    activities = orm.scalars(select(Activity)).all()
    longest = max((max(a.reminder_offsets or [0]) for a in activities), default=0)
    if longest <= 0:
        return queued
    # Moving out of quiet hours brings a reminder forward by less than a day.
    horizon = now + timedelta(minutes=longest) + timedelta(days=1)
    sessions = orm.scalars(
        select(Session)
        .where(
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
            Session.starts_at <= horizon,
        )
        .order_by(Session.starts_at, Session.id)
    ).all()
    for session in sessions:
        offsets = session.activity.reminder_offsets or []
        due = [
            o for o in offsets if due_at(session.starts_at, o, quiet_start, quiet_end, tz) <= now
        ]
        if not due:
            continue
        latest = min(due)
        # Already in quiet hours (a late or restarted worker): wait for the morning, if that
        # is still before the start; otherwise there is nothing useful left to say.
        send_after = now
        if in_quiet_hours(now, quiet_start, quiet_end, tz):
            send_after = quiet_period_end(now, quiet_end, tz)
            if send_after >= session.starts_at:
                continue
        for booking in _bookings_of(orm, session):
            queued += _queue_one(orm, booking, session, latest, now, send_after, settings)
            queued += _queue_companion(orm, booking, session, latest, now, send_after, settings)
        for request in _requests_of(orm, session):
            queued += _queue_requested(orm, request, session, latest, now, send_after, settings)
    return queued


def _replaces_earlier(orm: OrmSession, key: str) -> bool:
    """Whether the reminder `key` ("<kind>:<ids…>:<offset>") is still to be queued.

    When it is, the earlier reminders of the same person and session still waiting are
    skipped: only the latest is sent.
    """
    if orm.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return False
    same_series = key.rsplit(":", 1)[0] + ":"
    orm.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.kind == "reminder",
            OutboundMessage.dedupe_key.startswith(same_series, autoescape=True),
            OutboundMessage.status == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.SKIPPED, last_error="a later reminder replaces it")
    )
    return True


def _queue_one(
    orm: OrmSession,
    booking: Booking,
    session: Session,
    offset: int,
    now: datetime,
    send_after: datetime,
    settings: Settings,
) -> int:
    person = booking.participant
    key = f"reminder:{booking.id}:{session.id}:{offset}"
    if not person.phone or person.phone_unreachable:
        return 0
    if not _replaces_earlier(orm, key):
        return 0
    added = outgoing.queue(
        orm,
        phone=person.phone,
        language=person.language,
        body=reminder_body(booking, session, _booking_link(orm, booking, settings), settings),
        kind="reminder",
        now=now,
        send_after=send_after,
        participant=person,
        booking_id=booking.id,
        session_id=session.id,
        dedupe_key=key,
        expires_at=session.starts_at,
        settings=settings,
    )
    return 1 if added else 0


# ------------------------------------------------------------ drop-in "remind me" requests


def _requests_of(orm: OrmSession, session: Session) -> list[ReminderRequest]:
    return list(
        orm.scalars(
            select(ReminderRequest)
            .where(ReminderRequest.session_id == session.id, ReminderRequest.cancelled_at.is_(None))
            .order_by(ReminderRequest.id)
        )
    )


def _queue_requested(
    orm: OrmSession,
    request: ReminderRequest,
    session: Session,
    offset: int,
    now: datetime,
    send_after: datetime,
    settings: Settings,
) -> int:
    person = request.participant
    key = f"remind:{request.id}:{offset}"
    if not person.phone or person.phone_unreachable or person.anonymised_at:
        return 0
    if not _replaces_earlier(orm, key):
        return 0
    link = settings.public_link(f"/me/{personal_token(orm, person, now, settings)}")
    added = outgoing.queue(
        orm,
        phone=person.phone,
        language=person.language,
        body=texts.drop_in_reminder_text(session, person.language, link),
        kind="reminder",
        now=now,
        send_after=send_after,
        participant=person,
        session_id=session.id,
        dedupe_key=key,
        expires_at=session.starts_at,
        settings=settings,
    )
    return 1 if added else 0


# ------------------------------------------------------------ companions (følgeskab)


def _queue_companion(
    orm: OrmSession,
    booking: Booking,
    session: Session,
    offset: int,
    now: datetime,
    send_after: datetime,
    settings: Settings,
) -> int:
    companion = booking.companion
    if companion is None or not companion.phone or not companion.active:
        return 0
    key = f"companion:{booking.id}:{session.id}:{offset}"
    if not _replaces_earlier(orm, key):
        return 0
    added = outgoing.queue(
        orm,
        phone=companion.phone,
        language=companion.language,
        body=texts.companion_text(session, companion.language, booking.participant.display_name),
        kind="reminder",
        now=now,
        send_after=send_after,
        booking_id=booking.id,
        session_id=session.id,
        dedupe_key=key,
        expires_at=session.starts_at,
        needs_consent=False,  # a volunteer gives the number for exactly this,
        settings=settings,
    )
    return 1 if added else 0


# ------------------------------------------------------------ volunteer hosts' shifts

#: Hosts are texted this long before a shift (moved out of quiet hours like reminders).
SHIFT_REMINDER_MINUTES = 24 * 60


def queue_shift_reminders(
    orm: OrmSession,
    now: datetime,
    *,
    quiet_start: time,
    quiet_end: time,
    tz: ZoneInfo,
    settings: Settings,
) -> int:
    """Text each host with a phone once before each session they are on the rota for."""
    if in_quiet_hours(now, quiet_start, quiet_end, tz):
        send_after = quiet_period_end(now, quiet_end, tz)
    else:
        send_after = now
    horizon = now + timedelta(minutes=SHIFT_REMINDER_MINUTES) + timedelta(days=1)
    rows = orm.execute(
        select(Session, StaffUser)
        .join(session_host, session_host.c.session_id == Session.id)
        .join(StaffUser, StaffUser.id == session_host.c.staff_user_id)
        .where(
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
            Session.starts_at <= horizon,
            StaffUser.phone.is_not(None),
            StaffUser.active.is_(True),
        )
        .order_by(Session.starts_at, Session.id, StaffUser.id)
    ).all()
    queued = 0
    for session, host in rows:
        due = due_at(session.starts_at, SHIFT_REMINDER_MINUTES, quiet_start, quiet_end, tz)
        if due > now or send_after >= session.starts_at:
            continue
        key = f"shift:{session.id}:{host.id}"
        if orm.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
            continue
        added = outgoing.queue(
            orm,
            phone=host.phone or "",
            language=host.language,
            body=texts.shift_text(session, host.language),
            kind="shift",
            now=now,
            send_after=send_after,
            session_id=session.id,
            dedupe_key=key,
            expires_at=session.starts_at,
            needs_consent=False,
            settings=settings,
        )
        queued += 1 if added else 0
    return queued


#: Why a reminder of a moved session is dropped: it is queued again for the new time.
MOVED = "the session moved; the reminder is queued again for the new time"


def register() -> None:
    """Tell messaging what it must check again before sending a reminder or a shift text."""
    kinds.register("reminder", check=still_wanted, waits_for_quiet_hours=True)
    kinds.register("shift", check=still_wanted)


def still_wanted(orm: OrmSession, message: OutboundMessage, now: datetime) -> Unwanted | None:
    """Why a reminder or shift text queued earlier must not go now; None to send it."""
    reason = reason_not_to_remind(orm, message)
    if reason is not None:
        return Unwanted(reason)
    session = orm.get(Session, message.session_id) if message.session_id else None
    if session is None or session.status != SessionStatus.SCHEDULED:
        return Unwanted("the session was cancelled")
    if session.starts_at <= now:
        return Unwanted("the session has started")
    if message.kind == "reminder" and message.expires_at not in (None, session.starts_at):
        # Moved after this reminder was queued: its text and moment are wrong.
        return Unwanted(MOVED, queue_again=True)
    return None


def release_moved_reminders(orm: OrmSession) -> int:
    """Drop pending reminders of sessions that moved, freeing their keys to be queued again.

    A reminder names the session's time and is due a fixed offset before it, so after a move
    both its text and its moment are wrong. Dropping it and clearing its dedupe key lets
    `queue_reminders` queue the same offset again — with the new time, when due at the new
    time (at once if the session moved earlier, later if it moved later). Commits nothing.
    """
    # A reminder's expires_at is its session's start at the time it was queued.
    session_start = (
        select(Session.starts_at).where(Session.id == OutboundMessage.session_id).scalar_subquery()
    )
    return execute_rowcount(
        orm,
        update(OutboundMessage)
        .where(
            OutboundMessage.kind == "reminder",
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.session_id.is_not(None),
            OutboundMessage.expires_at.is_not(None),
            OutboundMessage.expires_at != session_start,
        )
        .values(status=MessageStatus.SKIPPED, last_error=MOVED, dedupe_key=None)
        .execution_options(synchronize_session=False),
    )


def reason_not_to_remind(orm: OrmSession, message: OutboundMessage) -> str | None:
    """Why a reminder or shift text is no longer wanted (checked again at send time)."""
    key = message.dedupe_key or ""
    if message.kind == "shift":
        host_id = int(key.rsplit(":", 1)[1]) if key.startswith("shift:") else None
        still_on_rota = orm.scalar(
            select(session_host.c.staff_user_id).where(
                session_host.c.session_id == message.session_id,
                session_host.c.staff_user_id == host_id,
            )
        )
        return None if still_on_rota is not None else "the host is no longer on the rota"
    if key.startswith("remind:"):
        request = orm.get(ReminderRequest, int(key.split(":")[1]))
        if request is None or request.cancelled_at is not None:
            return "the person no longer wants the reminder"
        return None
    booking = orm.get(Booking, message.booking_id) if message.booking_id else None
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        return "the booking was cancelled"
    if key.startswith("companion:") and (
        booking.companion is None or booking.companion.phone != message.to_phone
    ):
        return "the companion changed"
    return None
