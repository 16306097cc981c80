"""What staff see of messaging: the outbox, the replies, the broadcasts (queries only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount
from havehus.messaging import outgoing
from havehus.messaging.numbers import INVALID_NUMBER, UNSUBSCRIBED
from havehus.models import (
    Activity,
    Booking,
    Broadcast,
    InboundMessage,
    OutboundMessage,
    Participant,
    Session,
    StaffUser,
)
from havehus.orm import OrmSession

#: The status filter's extra choice: texts to numbers that cannot be reached.
UNREACHABLE = "unreachable"
LAST_DIGITS = re.compile(r"\d{4}")


def mask_phone(phone: str | None) -> str:
    """E.g. "•••• 12 34": enough to tell numbers apart, not enough to call one."""
    if not phone:
        return ""
    last = phone[-4:]
    return f"•••• {last[:2]} {last[2:]}"


def _unreachable_phones() -> Select[str | None]:
    """Every number that cannot be reached, as a subquery for the outbox list."""
    return select(Participant.phone).where(
        Participant.phone_unreachable.is_(True), Participant.phone.is_not(None)
    )


def _opted_out_in_outbox(orm: OrmSession, settings: Settings) -> list[str]:
    """The outbox's numbers that said STOP (opt-outs are keyed hashes: hashed here)."""
    numbers = orm.scalars(select(OutboundMessage.to_phone).distinct()).all()
    return sorted(outgoing.opted_out_among(orm, numbers, settings))


@dataclass(frozen=True)
class OutboxFilter:
    status: str = ""
    kind: str = ""
    #: The number's last four digits.
    digits: str = ""


def outbox_query(
    orm: OrmSession, selected: OutboxFilter, settings: Settings
) -> Select[OutboundMessage]:
    """The outbox, newest first, narrowed by status, kind and the number's last digits."""
    query = select(OutboundMessage).order_by(
        OutboundMessage.created_at.desc(), OutboundMessage.id.desc()
    )
    if selected.status == UNREACHABLE:
        query = query.where(
            or_(
                OutboundMessage.to_phone.in_(_unreachable_phones()),
                OutboundMessage.to_phone.in_(_opted_out_in_outbox(orm, settings)),
                OutboundMessage.error_code.in_((INVALID_NUMBER, UNSUBSCRIBED)),
            )
        )
    elif selected.status:
        query = query.where(OutboundMessage.status == selected.status)
    if selected.kind:
        query = query.where(OutboundMessage.kind == selected.kind)
    if selected.digits:
        query = query.where(OutboundMessage.to_phone.endswith(selected.digits))
    return query


def unreachable_among(orm: OrmSession, phones: Sequence[str], settings: Settings) -> set[str]:
    """Which of these numbers opted out or cannot be reached."""
    if not phones:
        return set()
    invalid = orm.scalars(
        select(Participant.phone).where(
            Participant.phone.in_(phones), Participant.phone_unreachable.is_(True)
        )
    )
    return outgoing.opted_out_among(orm, phones, settings) | {phone for phone in invalid if phone}


def about_sensitive(orm: OrmSession, message: OutboundMessage) -> bool:
    """True when the text is about a sensitive activity (its body names no one, but still)."""
    if message.session_id is None and message.booking_id is None:
        return False
    query = select(Activity.sensitive)
    if message.session_id is not None:
        query = query.join(Session, Session.activity_id == Activity.id).where(
            Session.id == message.session_id
        )
    else:
        query = query.join(Booking, Booking.activity_id == Activity.id).where(
            Booking.id == message.booking_id
        )
    return bool(orm.scalar(query))


def replies_query(unhandled_only: bool) -> Select[InboundMessage]:
    query = select(InboundMessage).order_by(
        InboundMessage.received_at.desc(), InboundMessage.id.desc()
    )
    if unhandled_only:
        query = query.where(
            InboundMessage.interpreted_as == "other", InboundMessage.handled_at.is_(None)
        )
    return query


def unhandled_replies(orm: OrmSession) -> int:
    """Replies the reply handler did not understand and no one has handled yet (the badge)."""
    return int(
        orm.scalar(
            select(func.count(InboundMessage.id)).where(
                InboundMessage.interpreted_as == "other", InboundMessage.handled_at.is_(None)
            )
        )
        or 0
    )


def mark_handled(orm: OrmSession, reply: InboundMessage, user_id: int, now: datetime) -> bool:
    """Record who handled a reply and when; False when someone did already."""
    done = execute_rowcount(
        orm,
        update(InboundMessage)
        .where(InboundMessage.id == reply.id, InboundMessage.handled_at.is_(None))
        .values(handled_at=now, handled_by_id=user_id),
    )
    return done == 1


def participants_by_id(orm: OrmSession, ids: set[int]) -> dict[int, Participant]:
    if not ids:
        return {}
    return {p.id: p for p in orm.scalars(select(Participant).where(Participant.id.in_(ids)))}


def bookings_by_id(orm: OrmSession, ids: set[int]) -> dict[int, Booking]:
    if not ids:
        return {}
    return {b.id: b for b in orm.scalars(select(Booking).where(Booking.id.in_(ids)))}


def broadcasts_query() -> Select[Broadcast]:
    return select(Broadcast).order_by(Broadcast.created_at.desc(), Broadcast.id.desc())


@dataclass(frozen=True)
class BroadcastRow:
    broadcast: Broadcast
    activity: Activity | None
    session: Session | None
    sender: StaffUser | None


def broadcast_rows(orm: OrmSession, items: Sequence[Broadcast]) -> list[BroadcastRow]:
    """Each broadcast with what it was about and who sent it."""
    rows = []
    for item in items:
        session = orm.get(Session, item.session_id) if item.session_id else None
        activity = (
            session.activity
            if session
            else (orm.get(Activity, item.activity_id) if item.activity_id else None)
        )
        sender = orm.get(StaffUser, item.created_by_id) if item.created_by_id else None
        rows.append(BroadcastRow(item, activity, session, sender))
    return rows


def activities_for_broadcast(orm: OrmSession) -> Sequence[Activity]:
    """Activities that are not archived, for choosing what a broadcast is about."""
    return orm.scalars(
        select(Activity).where(Activity.archived_at.is_(None)).order_by(Activity.slug)
    ).all()
