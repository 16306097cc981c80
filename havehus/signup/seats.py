"""Seats and the waiting list: a seat taken or given back in one conditional UPDATE of the
session's (or course's) counter, the waiting list's order, promoting the next person when a seat
frees up (at once, or as an offer held for a while), and the texts that tell them.

`signup.services` books and cancels through these; nothing else changes a seat counter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Column, CursorResult, Update, and_, bindparam, func, or_, select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount
from havehus.messaging import outgoing
from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    Session,
    SessionStatus,
)
from havehus.orm import OrmSession
from havehus.program.services import bump_seats_version
from havehus.signup import texts
from havehus.signup.texts import BOOKING_PATH
from havehus.signup.tokens import booking_url

#: With less than this to the start, a freed seat is confirmed at once, never held as an offer.
OFFER_MIN_LEAD = timedelta(days=1)

Holder = Session | Activity


def _counter_updates(column: Column[int]) -> dict[str, Update]:
    """The conditional UPDATEs of a seat counter, built once (made on each booking, the
    statement cost more than running it): take seats if that many are free, take them
    regardless (staff overbooking), give them back. On the table, not the mapped class,
    whose bulk UPDATE costs more again; the callers expire the counter they changed."""
    table = column.table
    by_id = table.c.id == bindparam("holder_id")
    wheres = {
        "take": (by_id, column + bindparam("delta") <= bindparam("limit")),
        "overbook": (by_id,),
        "give back": (by_id, column + bindparam("delta") >= 0),
    }
    change = {column: column + bindparam("delta")}
    return {kind: update(table).where(*where).values(change) for kind, where in wheres.items()}


_SESSION_SEATS = _counter_updates(Session.__table__.c.seats_taken)
_COURSE_PLACES = _counter_updates(Activity.__table__.c.places_taken)


def _change_seats(orm: OrmSession, holder: Holder, delta: int, limit: int | None) -> bool:
    """Add `delta` seats to the holder's counter (at most up to `limit`, at least down to 0);
    whether it was changed. The counter is expired: read again when next used."""
    course = isinstance(holder, Activity)
    updates = _COURSE_PLACES if course else _SESSION_SEATS
    kind = "give back" if delta < 0 else "overbook" if limit is None else "take"
    params = {"holder_id": holder.id, "delta": delta, "limit": limit}
    result = orm.execute(updates[kind], params)
    assert isinstance(result, CursorResult)
    orm.expire(holder, ["places_taken" if course else "seats_taken"])
    return result.rowcount == 1


def _capacity(holder: Holder) -> int | None:
    return holder.capacity if isinstance(holder, Activity) else holder.effective_capacity


def seats_short(holder: Holder, seats: int) -> bool:
    """Whether fewer than `seats` seats are free now, by the counter as last read (a hint
    for answering early; `take_seat` is what decides)."""
    capacity = _capacity(holder)
    if capacity is None:
        return False
    taken = holder.places_taken if isinstance(holder, Activity) else holder.seats_taken
    return taken + seats > capacity


def take_seat(orm: OrmSession, holder: Holder, *, seats: int = 1, overbook: bool = False) -> bool:
    """Take `seats` seats of a session (or places in a course) if that many are free — all or
    none, in one conditional UPDATE — or regardless when staff overbook on purpose."""
    capacity = None if overbook else _capacity(holder)
    return _change_seats(orm, holder, seats, capacity)


def release_seat(orm: OrmSession, holder: Holder, *, seats: int = 1) -> None:
    _change_seats(orm, holder, -seats, None)


def booking_holder(booking: Booking) -> Holder | None:
    """What a booking holds a seat in: its session, or its course."""
    return booking.session if booking.session_id is not None else booking.activity


def _same_list(booking: Booking):  # type: ignore[no-untyped-def]
    """The bookings that share a waiting list with this one."""
    if booking.session_id is not None:
        return Booking.session_id == booking.session_id
    return Booking.activity_id == booking.activity_id


def waitlist_position(orm: OrmSession, booking: Booking) -> int | None:
    if booking.status != BookingStatus.WAITLISTED or booking.waitlisted_at is None:
        return None
    ahead = orm.scalar(
        select(func.count()).where(
            _same_list(booking),
            Booking.status == BookingStatus.WAITLISTED,
            or_(
                Booking.waitlisted_at < booking.waitlisted_at,
                and_(Booking.waitlisted_at == booking.waitlisted_at, Booking.id < booking.id),
            ),
        )
    )
    return (ahead or 0) + 1


def _next_start(orm: OrmSession, holder: Holder, now: datetime) -> datetime | None:
    """When the session (or the course's next session) starts."""
    if isinstance(holder, Session):
        return holder.starts_at
    return orm.scalar(
        select(func.min(Session.starts_at)).where(
            Session.activity_id == holder.id,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
        )
    )


def promote_waitlist(
    orm: OrmSession, holder: Holder, now: datetime, settings: Settings
) -> list[Booking]:
    """Give free seats (or course places) to the first on the waiting list; texts them."""
    activity: Activity = holder if isinstance(holder, Activity) else holder.activity
    on_list = (
        Booking.activity_id == holder.id
        if isinstance(holder, Activity)
        else Booking.session_id == holder.id
    )
    starts = _next_start(orm, holder, now)
    promoted: list[Booking] = []
    if starts is None:
        return promoted
    waiting = orm.scalars(
        select(Booking)
        .where(on_list, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlisted_at, Booking.id)
    ).all()
    # In order; a party too big for the seats left waits, and a smaller one behind it that
    # fits gets them (rather than leaving them empty).
    for candidate in waiting:
        if not take_seat(orm, holder, seats=candidate.seats):
            continue
        hold = (
            activity.offer_policy == "hold"
            and activity.offer_hold_hours > 0
            and starts - now >= OFFER_MIN_LEAD
        )
        values: dict[str, object] = {
            "status": BookingStatus.OFFERED if hold else BookingStatus.CONFIRMED,
            "promoted_at": now,
            "updated_at": now,
        }
        if hold:
            values["offered_until"] = min(now + timedelta(hours=activity.offer_hold_hours), starts)
        won = execute_rowcount(
            orm,
            update(Booking)
            .where(Booking.id == candidate.id, Booking.status == BookingStatus.WAITLISTED)
            .values(**values),
        )
        orm.refresh(candidate)
        if won != 1:  # someone else moved this person meanwhile: give the seats back
            release_seat(orm, holder, seats=candidate.seats)
            continue
        promoted.append(candidate)
        _promotion_text(orm, candidate, now, settings)
    if promoted:
        bump_seats_version(orm, now)
    return promoted


def accept_offer(orm: OrmSession, booking: Booking, now: datetime, settings: Settings) -> bool:
    """The person takes the seat held for them; False when the offer has run out."""
    taken = execute_rowcount(
        orm,
        update(Booking)
        .where(
            Booking.id == booking.id,
            Booking.status == BookingStatus.OFFERED,
            Booking.offered_until > now,
        )
        .values(status=BookingStatus.CONFIRMED, offered_until=None, updated_at=now),
    )
    orm.refresh(booking)
    return taken == 1


def expire_offers(orm: OrmSession, now: datetime, settings: Settings) -> int:
    """Offers not taken in time pass to the next person on the waiting list."""
    expired = orm.scalars(
        select(Booking).where(Booking.status == BookingStatus.OFFERED, Booking.offered_until <= now)
    ).all()
    count = 0
    for booking in expired:
        done = execute_rowcount(
            orm,
            update(Booking)
            .where(Booking.id == booking.id, Booking.status == BookingStatus.OFFERED)
            .values(
                status=BookingStatus.CANCELLED, cancelled_at=now, updated_at=now, offered_until=None
            ),
        )
        holder = booking_holder(booking)
        if done == 1 and holder is not None:
            count += 1
            release_seat(orm, holder, seats=booking.seats)
            promote_waitlist(orm, holder, now, settings)
    if count:
        bump_seats_version(orm, now)
    return count


# ---------------------------------------------------------------- texts


def session_of(orm: OrmSession, booking: Booking, now: datetime) -> Session | None:
    """The session a text about this booking speaks of: its own, or the course's next one."""
    if booking.session is not None:
        return booking.session
    return orm.scalar(
        select(Session)
        .where(
            Session.activity_id == booking.activity_id,
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
        )
        .order_by(Session.starts_at)
        .limit(1)
    )


def last_session_of(orm: OrmSession, booking: Booking) -> Session | None:
    """A course's last session (for a booking whose course is over)."""
    return orm.scalar(
        select(Session)
        .where(Session.activity_id == booking.activity_id)
        .order_by(Session.starts_at.desc())
        .limit(1)
    )


def _text_about(
    orm: OrmSession,
    booking: Booking,
    session: Session | None,
    kind: str,
    now: datetime,
    wording: Callable[[Session, str], str],
    settings: Settings,
) -> bool:
    """Queue a text about the booking, worded (session, language) in the person's language.

    These texts answer what the person asked for (a seat, a place in the queue), so a number
    the person proved with a code gets them without the reminder consent; an unproved number
    (typed in by staff or on the house's tablet) only with it. False when nothing was queued.
    """
    person = booking.participant
    if session is None or not person.phone:
        return False
    return outgoing.queue(
        orm,
        phone=person.phone,
        language=person.language,
        body=wording(session, person.language),
        kind=kind,
        now=now,
        participant=person,
        booking_id=booking.id,
        session_id=session.id,
        dedupe_key=f"{kind}:{booking.id}:{booking.updated_at.timestamp():.0f}",
        expires_at=session.starts_at,
        needs_consent=person.phone_verified_at is None,
        settings=settings,
    )


def queue_confirmation(
    orm: OrmSession,
    booking: Booking,
    token: str,
    now: datetime,
    session: Session,
    settings: Settings,
) -> bool:
    link = settings.public_link(BOOKING_PATH.format(token=token))
    waitlisted = booking.status == BookingStatus.WAITLISTED

    def wording(about: Session, language: str) -> str:
        return texts.confirmation_text(about, language, link, waitlisted=waitlisted)

    return _text_about(orm, booking, session, "confirmation", now, wording, settings)


def _promotion_text(orm: OrmSession, booking: Booking, now: datetime, settings: Settings) -> None:
    session = session_of(orm, booking, now)
    link = booking_url(booking, settings)
    offered = booking.status == BookingStatus.OFFERED

    def wording(about: Session, language: str) -> str:
        if offered:
            return texts.offer_text(
                about, language, link, can_reply=outgoing.replies_possible(settings)
            )
        return texts.promotion_text(
            about, language, link, can_reply=outgoing.replies_possible(settings)
        )

    _text_about(orm, booking, session, "waitlist-promotion", now, wording, settings)
