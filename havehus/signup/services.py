"""Bookings: taking a seat atomically, the waitlist, cancelling, and promoting the next person.

The database keeps the promises: a seat is taken by one conditional UPDATE on the session's
seat counter (never check-then-insert), a person has one booking per session (a unique
constraint), and every status change is a conditional UPDATE, so concurrent requests cannot
sell a seat twice or promote the same person twice.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Update, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.messaging import outgoing
from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    Consent,
    Mode,
    Participant,
    Session,
    SessionStatus,
)
from havehus.models.people import MANAGERS
from havehus.models.signup import LIVE, MAX_GUESTS, OPEN, SEAT_HOLDING
from havehus.orm import OrmSession
from havehus.people import audit, consents
from havehus.people.audit import Actor
from havehus.program.services import bump_seats_version
from havehus.security import derived_token, hash_token
from havehus.signup import texts
from havehus.signup.texts import BOOKING_PATH

SMS_WORDING = consents.CURRENT_WORDING["sms"]

HEALTH_WORDING = consents.CURRENT_WORDING["health"]
#: With less than this to the start, a freed seat is confirmed at once, never held as an offer.
OFFER_MIN_LEAD = timedelta(days=1)
#: C0 and C1 control characters, a tab or line break too: no keyboard puts them in a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    #: False when the person was booked already (same answer, nothing doubled).
    created: bool
    #: 1 for the first on the waiting list; None unless waitlisted.
    position: int | None
    #: Whether a confirmation text is on its way (what the done screen may promise).
    texted: bool = False
    #: True when whoever asked may not learn whether the person was booked before (a health
    #: appointment asked for by a role below manager): answer as for any booking, no id.
    discreet: bool = False
    #: For a discreet answer about a booking made before: the status a new booking would have
    #: got now (`answer_as_new`), told instead of the booking's own.
    told_status: str | None = None

    @property
    def status(self) -> str:
        """The status to tell whoever asked."""
        return self.told_status or self.booking.status


# ---------------------------------------------------------------- people and consent


def holder_of(orm: OrmSession, phone: str) -> Participant | None:
    """The live participant who holds this (E.164) number, if any."""
    return orm.scalar(
        select(Participant)
        .where(Participant.phone == phone, Participant.anonymised_at.is_(None))
        .order_by(Participant.id)
        .limit(1)
    )


def find_or_create_participant(
    orm: OrmSession,
    *,
    name: str,
    phone: str | None,
    language: str,
    channel: str,
    now: datetime,
    created_by_id: int | None = None,
) -> Participant:
    """The participant with this (E.164) phone, or a new one; no phone → always a new one.

    Safe when two sign-ups with one number race: the unique index on live numbers lets one
    insert win, and the other finds its row.
    """
    row = {
        "public_id": secrets.token_hex(16),
        "display_name": clean_name(name),
        "phone": phone,
        "language": language,
        "channel": channel,
        "created_at": now,
        "created_by_id": created_by_id,
    }
    if phone:
        found = holder_of(orm, phone)
        if found is None:
            insert_ignoring_conflicts(orm, Participant, [row])
            found = holder_of(orm, phone)
        assert found is not None  # inserted here, or by the request that won the race
        return found
    person = Participant(**row)
    orm.add(person)
    orm.flush()
    return person


def clean_name(name: str) -> str:
    """A first name or nickname as typed, trimmed; HavehusError when empty or when it holds a
    control character (which no keyboard types, and which texts would carry along)."""
    cleaned = " ".join(name.split())[:120]
    if not cleaned or _CONTROL.search(name):
        raise HavehusError(_("Write your first name."), "invalid_name")
    return cleaned


def has_consent(orm: OrmSession, participant: Participant, kind: str) -> bool:
    """Whether the person gave this kind of consent, has not withdrawn it, and (where a new
    wording asks again: people/consents.py) gave it in the current wording."""
    found = orm.scalar(
        select(Consent.id).where(Consent.participant_id == participant.id, consents.live(kind))
    )
    return found is not None


def record_consent(
    orm: OrmSession,
    participant: Participant,
    kind: str,
    now: datetime,
    *,
    recorded_by_id: int | None = None,
    recorded_by_token_id: int | None = None,
) -> None:
    """Note a consent with its wording version and who recorded it (once per kind and
    wording). A consent in an older wording that is still live is withdrawn now: the new one
    replaces it, and the person's history shows both."""
    if has_consent(orm, participant, kind):
        return
    orm.execute(
        update(Consent)
        .where(
            Consent.participant_id == participant.id,
            Consent.kind == kind,
            Consent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
    )
    orm.add(
        Consent(
            participant_id=participant.id,
            kind=kind,
            wording_version=consents.CURRENT_WORDING[kind],
            given_at=now,
            recorded_by_id=recorded_by_id,
            recorded_by_token_id=recorded_by_token_id,
        )
    )


# ---------------------------------------------------------------- booking links


def booking_token(booking: Booking, settings: Settings) -> str:
    """The secret of the booking's own page (see, cancel); re-derivable for every text."""
    if booking.link_nonce is None:
        booking.link_nonce = secrets.token_hex(16)
    token = derived_token(settings.secret_key, "booking", booking.id, booking.link_nonce)
    booking.cancel_token_hash = hash_token(token)
    return token


def existing_booking_token(booking: Booking, settings: Settings) -> str | None:
    """The booking link's token if one was ever made (read-only, for GET requests)."""
    if booking.link_nonce is None:
        return None
    return derived_token(settings.secret_key, "booking", booking.id, booking.link_nonce)


def booking_url(booking: Booking, settings: Settings) -> str:
    """The booking's page as the world sees it; works outside requests (the worker)."""
    return settings.public_link(BOOKING_PATH.format(token=booking_token(booking, settings)))


def find_booking_by_token(orm: OrmSession, token: str) -> Booking | None:
    return orm.scalar(select(Booking).where(Booking.cancel_token_hash == hash_token(token)))


# ---------------------------------------------------------------- seats


Holder = Session | Activity


def _seat_update(holder: Holder, *, delta: int, limit: int | None) -> Update:
    model = type(holder)
    column = Activity.places_taken if model is Activity else Session.seats_taken
    statement = update(model).where(model.id == holder.id)
    if delta > 0 and limit is not None:
        statement = statement.where(column + delta <= limit)
    if delta < 0:
        statement = statement.where(column + delta >= 0)
    return statement.values({column: column + delta})


def _capacity(holder: Holder) -> int | None:
    return holder.capacity if isinstance(holder, Activity) else holder.effective_capacity


def take_seat(orm: OrmSession, holder: Holder, *, seats: int = 1, overbook: bool = False) -> bool:
    """Take `seats` seats of a session (or places in a course) if that many are free — all or
    none, in one conditional UPDATE — or regardless when staff overbook on purpose."""
    capacity = None if overbook else _capacity(holder)
    taken = execute_rowcount(orm, _seat_update(holder, delta=seats, limit=capacity)) == 1
    orm.expire(holder, ["places_taken" if isinstance(holder, Activity) else "seats_taken"])
    return taken


def release_seat(orm: OrmSession, holder: Holder, *, seats: int = 1) -> None:
    orm.execute(_seat_update(holder, delta=-seats, limit=None))
    orm.expire(holder, ["places_taken" if isinstance(holder, Activity) else "seats_taken"])


def _holder(booking: Booking) -> Holder | None:
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


# ---------------------------------------------------------------- booking


def check_health_consent(session: Session, given: bool) -> None:
    """Refuse a sensitive session unless the person agreed, this time, to its registration.

    Who booked a health appointment is special-category data (GDPR art. 9): it is recorded
    only with the person's explicit consent, whichever way the booking comes in.
    """
    if session.activity.sensitive and not given:
        raise HavehusError(
            _("Please tick that you agree, so we may register this appointment."),
            "consent_required",
            fields={"health_consent": _("Tick to agree.")},
        )


def check_guests(guests: int) -> None:
    """At most MAX_GUESTS people come along on one booking (none below zero)."""
    if not 0 <= guests <= MAX_GUESTS:
        message = _("Choose how many come with you: 0 to %(num)d.", num=MAX_GUESTS)
        raise HavehusError(message, "invalid", fields={"guests": message})


def check_bookable(session: Session, now: datetime, *, staff: bool, settings: Settings) -> None:
    """Raise a HavehusError saying why this session cannot be booked now, if it cannot."""
    activity = session.activity
    if activity.mode == Mode.DROP_IN:
        raise HavehusError(_("No sign-up is needed. Just come!"), "drop_in")
    # A course is booked through any of its coming times; a cancelled time still belongs to it.
    if session.status == SessionStatus.CANCELLED and activity.mode != Mode.ENROLMENT:
        raise HavehusError(_("This time is cancelled."), "cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This has started already. Sign-up is closed."), "started")
    closes = timedelta(minutes=settings.signup_closes_minutes)
    if not staff and session.starts_at - closes <= now:
        raise HavehusError(
            _("Sign-up has closed. Ask the host in the house if there is a seat."), "closed"
        )


def book(
    orm: OrmSession,
    session: Session,
    participant: Participant,
    now: datetime,
    actor: Actor,
    *,
    source: str,
    wants_company: bool = False,
    guests: int = 0,
    overbook: bool = False,
    notify: bool = True,
    settings: Settings,
) -> BookingResult:
    """Book a participant (and `guests` coming along): their seats if free, else the waiting
    list, else "full".

    The seat step of `sign_up.sign_up`, the one entry point every door calls (tests call this
    directly to set up bookings). Asking twice gives the same booking back. Commits nothing.
    """
    check_bookable(session, now, staff=source == "staff", settings=settings)
    activity = session.activity
    course = activity.mode == Mode.ENROLMENT
    holder: Holder = activity if course else session
    # A course is booked once for all its sessions; a session on its own otherwise.
    key = (
        {"activity_id": activity.id, "session_id": None}
        if course
        else {"session_id": session.id, "activity_id": None}
    )
    same_key = Booking.activity_id == activity.id if course else Booking.session_id == session.id
    existing = orm.scalar(select(Booking).where(Booking.participant_id == participant.id, same_key))
    if existing is not None and existing.status in LIVE:
        return BookingResult(existing, False, waitlist_position(orm, existing))
    if existing is not None:
        booking = existing
        # Reopen the cancelled booking; the conditional update lets one request win.
        won = execute_rowcount(
            orm,
            update(Booking)
            .where(Booking.id == existing.id, Booking.status == BookingStatus.CANCELLED)
            .values(
                status=BookingStatus.WAITLISTED, cancelled_at=None, promoted_at=None, updated_at=now
            ),
        )
        orm.refresh(booking)
        if won != 1:
            return BookingResult(booking, False, waitlist_position(orm, booking))
    else:
        booking = Booking(
            participant_id=participant.id,
            **key,
            status=BookingStatus.WAITLISTED,  # until a seat is taken below
            source=source,
            created_by_id=actor.user_id if source == "staff" else None,
            created_by_token_id=actor.token_id,
            created_at=now,
            updated_at=now,
            wants_company=wants_company,
            guests=guests,
        )
        try:
            with orm.begin_nested():
                orm.add(booking)
        except IntegrityError:
            # The same person's other request got there first: answer with that booking.
            found = orm.scalar(
                select(Booking).where(Booking.participant_id == participant.id, same_key)
            )
            if found is None:
                raise
            return BookingResult(found, False, waitlist_position(orm, found))

    booking.guests = guests  # a new booking, or a cancelled one opened again
    if take_seat(orm, holder, seats=booking.seats, overbook=overbook):
        booking.status, booking.waitlisted_at = BookingStatus.CONFIRMED, None
    elif activity.waitlist_enabled:
        booking.status, booking.waitlisted_at = BookingStatus.WAITLISTED, now
    else:
        raise _full()
    booking.wants_company = booking.wants_company or wants_company
    booking.updated_at = now
    participant.last_seen_at = now
    orm.flush()
    token = booking_token(booking, settings)
    if source == "staff" or overbook:
        audit.record(
            orm, "booking.create", now, actor, target=booking,
            details={"session": session.id, "course": course, "status": booking.status,
                     "overbook": overbook},
        )  # fmt: skip
    bump_seats_version(orm, now)
    if participant.phone:
        from havehus.signup.me import personal_token

        # "my bookings" exists from the first booking on
        personal_token(orm, participant, now, settings)
    texted = notify and _confirmation_text(orm, booking, token, now, session, settings)
    return BookingResult(booking, True, waitlist_position(orm, booking), texted)


def _full() -> HavehusError:
    return HavehusError(_("Sorry, it is full. There is no waiting list for this."), "full")


def answer_as_new(
    orm: OrmSession, session: Session, result: BookingResult, *, seats: int, overbook: bool
) -> BookingResult:
    """The answer a new booking of `seats` seats would get now, for a person booked before:
    a seat, the next place on the waiting list, or HavehusError "full" — as `book` decides.

    For whoever may not learn that this person had booked (see sign_up): their own booking's
    status, or a seat taken in a full session, would tell them. Nothing is changed.
    """
    activity = session.activity
    left = session.seats_left
    if overbook or left is None or left >= seats:
        return replace(result, told_status=BookingStatus.CONFIRMED, position=None)
    if not activity.waitlist_enabled:
        raise _full()
    same_list = (
        Booking.activity_id == activity.id
        if activity.mode == Mode.ENROLMENT
        else Booking.session_id == session.id
    )
    waiting = orm.scalar(
        select(func.count()).where(same_list, Booking.status == BookingStatus.WAITLISTED)
    )
    return replace(result, told_status=BookingStatus.WAITLISTED, position=(waiting or 0) + 1)


def sees_who_booked(actor: Actor, activity: Activity) -> bool:
    """Whether this staff user or token may see (and handle) who booked the activity.

    Who booked a health appointment is shown to managers only; hosts and partners see counts.
    The one rule for the staff pages and the API alike.
    """
    return not activity.sensitive or actor.role in MANAGERS


def booked_activity(booking: Booking) -> Activity:
    """The activity a booking is for: its own (a drop-in interest) or its session's."""
    if booking.activity is not None:
        return booking.activity
    assert (
        booking.session is not None
    )  # a booking has a session or an activity (session_xor_activity)
    return booking.session.activity


def check_may_cancel(actor: Actor, booking: Booking) -> None:
    """Staff and tokens cancel only bookings they may see; the person may always cancel."""
    if actor.kind not in ("user", "token"):
        return
    if not sees_who_booked(actor, booked_activity(booking)):
        raise HavehusError(_("Only a manager can cancel this booking."), "forbidden")


def cancel(
    orm: OrmSession, booking: Booking, now: datetime, actor: Actor, settings: Settings
) -> Booking | None:
    """Cancel a booking, free its seat at once and promote the next on the waiting list.

    Returns the promoted booking, if any. Cancelling twice changes nothing. HavehusError
    (`forbidden`) when staff or a token below manager cancel a health appointment.
    """
    check_may_cancel(actor, booking)
    held = booking.status in SEAT_HOLDING
    done = execute_rowcount(
        orm,
        update(Booking)
        .where(
            Booking.id == booking.id,
            Booking.status.in_(OPEN),
        )
        .values(
            status=BookingStatus.CANCELLED, cancelled_at=now, updated_at=now, offered_until=None
        ),
    )
    orm.refresh(booking)
    if done != 1:
        return None
    if actor.kind in ("user", "token"):
        audit.record(orm, "booking.cancel", now, actor, target=booking)
    bump_seats_version(orm, now)
    holder = _holder(booking)
    if not held or holder is None:
        return None
    release_seat(orm, holder, seats=booking.seats)
    promoted = promote_waitlist(orm, holder, now, settings)
    return promoted[0] if promoted else None


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
        holder = _holder(booking)
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


def _confirmation_text(
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
