"""Bookings: who books (people and consents), the one `book` every path calls, cancelling.

Seats and the waiting list are `signup.seats`; a booking's own link is `signup.tokens`.

The database keeps the promises: a seat is taken by one conditional UPDATE on the session's
seat counter (never check-then-insert), a person has one booking per session (a unique
constraint), and every status change is a conditional UPDATE, so concurrent requests cannot
sell a seat twice or promote the same person twice.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.errors import HavehusError
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
from havehus.signup.seats import (
    Holder,
    booking_holder,
    promote_waitlist,
    queue_confirmation,
    release_seat,
    seats_short,
    take_seat,
    waitlist_position,
)
from havehus.signup.tokens import booking_token

SMS_WORDING = consents.CURRENT_WORDING["sms"]

HEALTH_WORDING = consents.CURRENT_WORDING["health"]
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
    write_now: bool = True,
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
        # Made by a sign-up: seen now (the booking that follows writes nothing more here).
        "last_seen_at": now,
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
    if write_now:  # (a sign-up writes them with their booking, in one flush)
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
    fresh: bool = False,
    settings: Settings,
) -> BookingResult:
    """Book a participant (and `guests` coming along): their seats if free, else the waiting
    list, else "full".

    The seat step of `sign_up.sign_up`, the one entry point every door calls (tests call this
    directly to set up bookings). Asking twice gives the same booking back. Commits nothing.

    `fresh`: the participant was made in this transaction (a sign-up without a phone), so
    holds no booking that could be given back, and no other request can book them.
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
    same_key = _booked_on(session, course)
    existing = (
        None
        if fresh
        else orm.scalar(select(Booking).where(Booking.participant_id == participant.id, same_key))
    )
    if existing is not None and existing.status in LIVE:
        return BookingResult(existing, False, waitlist_position(orm, existing))
    booking: Booking | None = None
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
    elif not fresh:
        booking = _new_booking(participant, key, now, actor, source, wants_company, guests)
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
    # A fresh person's booking is made only below, with its status: nobody else can be
    # booking them, so the seat comes first and the person and booking are one flush.
    with orm.no_autoflush:
        seated = take_seat(orm, holder, seats=1 + guests, overbook=overbook)
    if seated:
        status, waitlisted_at = BookingStatus.CONFIRMED, None
    elif activity.waitlist_enabled:
        status, waitlisted_at = BookingStatus.WAITLISTED, now
    else:
        raise full()
    if booking is None:
        booking = _new_booking(participant, key, now, actor, source, wants_company, guests)
        orm.add(booking)
    booking.guests = guests  # a new booking, or a cancelled one opened again
    booking.status, booking.waitlisted_at = status, waitlisted_at
    booking.wants_company = booking.wants_company or wants_company
    booking.updated_at = now
    participant.last_seen_at = now
    if booking.id is None:
        orm.flush()  # its id is in its link's token
    token = booking_token(booking, settings)
    orm.flush()
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
    texted = notify and queue_confirmation(orm, booking, token, now, session, settings)
    return BookingResult(booking, True, waitlist_position(orm, booking), texted)


def _new_booking(
    participant: Participant,
    key: dict[str, int | None],
    now: datetime,
    actor: Actor,
    source: str,
    wants_company: bool,
    guests: int,
) -> Booking:
    return Booking(
        participant=participant,
        **key,
        status=BookingStatus.WAITLISTED,  # until a seat is taken
        source=source,
        created_by_id=actor.user_id if source == "staff" else None,
        created_by_token_id=actor.token_id,
        created_at=now,
        updated_at=now,
        wants_company=wants_company,
        guests=guests,
    )


def certainly_full(
    orm: OrmSession, session: Session, phone: str | None, *, seats: int, overbook: bool
) -> bool:
    """Whether booking someone who is not picked from the list (new, or known only by
    `phone`) could only answer "full": no overbooking, no waiting list, fewer than `seats`
    seats free, and nobody with that number holds a booking here that asking again would
    give back. Only reads, so a burst on a full session is refused before anyone or
    anything is written (what `book` would do, and then roll back)."""
    activity = session.activity
    if overbook or activity.waitlist_enabled:
        return False
    course = activity.mode == Mode.ENROLMENT
    if not seats_short(activity if course else session, seats):
        return False
    person = holder_of(orm, phone) if phone else None
    if person is None:
        return True
    status = orm.scalar(
        select(Booking.status)
        .where(Booking.participant_id == person.id, _booked_on(session, course))
        .limit(1)
    )
    return status not in LIVE


def _booked_on(session: Session, course: bool) -> ColumnElement[bool]:
    """A booking of this session, or of its course (booked once for all its sessions)."""
    if course:
        return Booking.activity_id == session.activity_id
    return Booking.session_id == session.id


def full() -> HavehusError:
    """The refusal of a full session without a waiting list."""
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
        raise full()
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
    holder = booking_holder(booking)
    if not held or holder is None:
        return None
    release_seat(orm, holder, seats=booking.seats)
    promoted = promote_waitlist(orm, holder, now, settings)
    return promoted[0] if promoted else None
