"""Outreach: hosts and health communicators record whom they contacted, so the reports can
show the funnel contacted → signed up → came.

A contact is one known person or a count of people not named, with the channel they were
reached by and, if it was about one, the activity. A contact about a health appointment is a
count only: naming the person would record their health (GDPR art. 9) without their consent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from havehus.attendance.services import RECORDERS
from havehus.dbutil import insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.models import Activity, Booking, Contact, Participant, Session, Visit
from havehus.models.follow_up import MAX_CONTACT_COUNT
from havehus.models.people import CHANNELS
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.timeutil import day_bounds_utc

#: One's own record can be taken back for this long (a wrong tap, the wrong person).
UNDO_WITHIN = timedelta(hours=1)
#: The contacts page lists this many of the latest records.
RECENT = 20
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class ContactData:
    """What a host records: a known person (participant_id) or a count, the channel, and the
    activity it was about (optional)."""

    channel: str
    participant_id: int | None = None
    count: int = 1
    activity_id: int | None = None


def check_may_record_contacts(actor: Actor) -> None:
    if actor.role not in RECORDERS:
        raise HavehusError(_("Only hosts can record contacts."), "forbidden")


def record_contact(
    orm: OrmSession, data: ContactData, key: str, now: datetime, actor: Actor
) -> bool:
    """Record a contact once per key; False when that key was recorded before (a retry)."""
    check_may_record_contacts(actor)
    if not _KEY.fullmatch(key or ""):
        raise HavehusError(_("This form could not be read. Reload the page and try again."),
                           "invalid")  # fmt: skip
    if data.channel not in CHANNELS:
        message = _("Choose how the person was reached.")
        raise HavehusError(message, "invalid", fields={"channel": message})
    activity = orm.get(Activity, data.activity_id) if data.activity_id is not None else None
    if data.activity_id is not None and (activity is None or activity.archived_at is not None):
        message = _("Choose an activity from the list.")
        raise HavehusError(message, "invalid", fields={"activity": message})
    count = 1
    if data.participant_id is not None:
        person = orm.get(Participant, data.participant_id)
        if person is None or person.anonymised_at is not None:
            raise HavehusError(_("This person could not be found. Search again."), "not_found")
        if activity is not None and activity.sensitive:
            raise HavehusError(
                _("A contact about a health appointment is counted, never named."), "sensitive"
            )
    else:
        count = data.count
        if not 1 <= count <= MAX_CONTACT_COUNT:
            message = _("Write a number from 1 to %(num)d.", num=MAX_CONTACT_COUNT)
            raise HavehusError(message, "invalid", fields={"count": message})
    row = {
        "key": key,
        "at": now,
        "participant_id": data.participant_id,
        "count": count,
        "channel": data.channel,
        "activity_id": data.activity_id,
        "recorded_by_id": actor.user_id,
    }
    return insert_ignoring_conflicts(orm, Contact, [row]) == 1


def may_undo(contact: Contact, now: datetime, actor: Actor) -> bool:
    """One's own record, made in the last hour."""
    return (
        actor.user_id is not None
        and contact.recorded_by_id == actor.user_id
        and contact.at >= now - UNDO_WITHIN
    )


def undo_contact(orm: OrmSession, contact_id: int, now: datetime, actor: Actor) -> bool:
    """Take back one's own recent record; False when it is gone already (a second tap)."""
    check_may_record_contacts(actor)
    contact = orm.get(Contact, contact_id)
    if contact is None:
        return False
    if not may_undo(contact, now, actor):
        raise HavehusError(
            _("Only your own record of the last hour can be taken back."), "forbidden"
        )
    orm.delete(contact)
    orm.flush()
    return True


def recent_contacts(orm: OrmSession, actor: Actor, limit: int = RECENT) -> list[Contact]:
    """The latest records, newest first."""
    check_may_record_contacts(actor)
    return list(
        orm.scalars(
            select(Contact)
            .order_by(Contact.at.desc(), Contact.id.desc())
            .limit(limit)
            .options(
                selectinload(Contact.participant),
                selectinload(Contact.activity),
                selectinload(Contact.recorded_by),
            )
        )
    )


def activity_choices(orm: OrmSession) -> list[Activity]:
    """The activities a contact can be about: every one not archived."""
    return list(orm.scalars(select(Activity).where(Activity.archived_at.is_(None))))


# ---------------------------------------------------------------- the funnel


@dataclass
class FunnelRow:
    """People contacted, and of the named ones how many signed up and how many came."""

    #: People contacted: each named person once, plus the counts of people not named.
    contacted: int = 0
    #: Of them, the people contacted by name (only they can be followed further).
    named: int = 0
    #: Named people who signed up after being contacted — a booking made since, or they just
    #: came (a drop-in needs no sign-up) — so the funnel never widens.
    signed_up: int = 0
    #: Named people who came (a visit) to a session that had not ended when contacted.
    came: int = 0


@dataclass
class Funnel:
    first: date
    last: date
    total: FunnelRow = field(default_factory=FunnelRow)
    #: The same per channel; a person reached by two channels counts in each.
    by_channel: dict[str, FunnelRow] = field(default_factory=dict)


def funnel(
    orm: OrmSession,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
    *,
    activity_id: int | None = None,
) -> Funnel:
    """Contacts recorded from local day `first` to `last` (both inclusive) and what followed
    up to `now`: sign-ups and visits after each person's first contact in the period (or, per
    channel, their first contact by that channel). With `activity_id`, only contacts about
    that activity (what followed may be at any activity)."""
    start, end = day_bounds_utc(first, last, tz)
    query = select(Contact.participant_id, Contact.count, Contact.channel, Contact.at).where(
        Contact.at >= start, Contact.at < end
    )
    if activity_id is not None:
        query = query.where(Contact.activity_id == activity_id)
    rows = orm.execute(query.order_by(Contact.at, Contact.id)).all()
    result = Funnel(first, last, by_channel={channel: FunnelRow() for channel in CHANNELS})
    first_contact: dict[int, datetime] = {}
    first_by_channel: dict[tuple[str, int], datetime] = {}
    for person, count, channel, at in rows:
        if person is None:
            for row in (result.total, result.by_channel[channel]):
                row.contacted += count
            continue
        first_contact.setdefault(person, at)
        first_by_channel.setdefault((channel, person), at)
    signed, came = _after_contact(orm, set(first_contact), now)
    _follow(result.total, first_contact.items(), signed, came)
    for channel, row in result.by_channel.items():
        reached = [(p, at) for (c, p), at in first_by_channel.items() if c == channel]
        _follow(row, reached, signed, came)
    return result


def _follow(
    row: FunnelRow,
    reached: Iterable[tuple[int, datetime]],
    signed: dict[int, list[datetime]],
    came: dict[int, list[datetime]],
) -> None:
    for person, at in reached:
        row.contacted += 1
        row.named += 1
        visited = any(ends > at for ends in came.get(person, []))
        booked = any(made >= at for made in signed.get(person, []))
        row.signed_up += booked or visited
        row.came += visited


def _after_contact(
    orm: OrmSession, people: set[int], now: datetime
) -> tuple[dict[int, list[datetime]], dict[int, list[datetime]]]:
    """When each person booked, and when each session they came to ended (up to now)."""
    signed: dict[int, list[datetime]] = {}
    came: dict[int, list[datetime]] = {}
    if not people:
        return signed, came
    bookings = orm.execute(
        select(Booking.participant_id, Booking.created_at).where(
            Booking.participant_id.in_(people), Booking.created_at <= now
        )
    )
    for person, made in bookings:
        signed.setdefault(person, []).append(made)
    visits = orm.execute(
        select(Visit.participant_id, Session.ends_at)
        .join(Session, Session.id == Visit.session_id)
        .where(Visit.participant_id.in_(people), Session.starts_at <= now)
    )
    for person, ends in visits:
        came.setdefault(person, []).append(ends)
    return signed, came
