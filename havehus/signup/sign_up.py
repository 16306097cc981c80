"""The one way into a booking, whoever signs someone up and however.

A phone with a texted code, the kiosk tablet, a host on someone's behalf, a partner system
through the API: each turns its input into a `SignUp` and calls `sign_up`, which finds or
creates the person, records the consents they gave, and books (capacity, waiting list,
duplicates and the health-consent rule live in `services.book`, below this).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from havehus.config import Settings
from havehus.database import begin_writing
from havehus.errors import HavehusError
from havehus.models import Participant, Session
from havehus.models.people import MANAGERS
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.signup import services
from havehus.signup.services import BookingResult

Source = Literal["web", "kiosk", "staff", "api", "sms"]
#: At most this many characters of a staff note are kept.
STAFF_NOTE_LIMIT = 1000


@dataclass(frozen=True)
class Person:
    """Who is signed up: someone the house knows (by id, staff only), or a name and number."""

    name: str = ""
    #: E.164, already normalised; None for a person without a mobile phone.
    phone: str | None = None
    language: str = "da"
    channel: str = "other"
    participant_id: int | None = None
    #: True when the person just typed back a code texted to `phone`: the number is theirs.
    phone_proved: bool = False


@dataclass(frozen=True)
class SignUp:
    """Everything a sign-up says, from whichever door it came in."""

    person: Person
    source: Source
    sms_consent: bool = False
    health_consent: bool = False
    wants_company: bool = False
    #: People coming along (family sharing the phone): each takes a seat too.
    guests: int = 0
    #: Staff only: a seat even when the session is full.
    overbook: bool = False
    #: Staff only: the volunteer who goes along, and a note only staff see.
    companion_id: int | None = None
    staff_note: str = ""


def sign_up(
    orm: OrmSession,
    session: Session,
    request: SignUp,
    now: datetime,
    actor: Actor,
    settings: Settings,
) -> BookingResult:
    """Find or create the person, record their consents, and book them. Commits nothing.

    Consents given through staff or a partner's token are recorded as given on the person's
    behalf, by that user or token; on a phone or the kiosk, by the person.
    """
    services.check_bookable(session, now, staff=request.source == "staff", settings=settings)
    services.check_health_consent(session, request.health_consent)
    services.check_guests(request.guests)
    who = request.person
    if who.participant_id is None and services.certainly_full(
        orm, session, who.phone, seats=1 + request.guests, overbook=request.overbook
    ):
        raise services.full()
    # The checks above only read; the write lock is taken from here (see `reads_first`).
    session_id = session.id  # (read before it is expired)
    if begin_writing(orm):
        # What the booking decides on, read again under the lock in one statement, and
        # checked again (`book` checks whether it can be booked).
        found = orm.execute(
            select(Session)
            .where(Session.id == session_id)
            .options(joinedload(Session.activity))
            .execution_options(populate_existing=True)
        ).one_or_none()
        if found is None:  # deleted meanwhile (its activity archived or moved)
            raise HavehusError(_("There is no such session."), "not_found")
        services.check_health_consent(session, request.health_consent)
    # Without a phone or a pick from the list, the person is made now, and written with the
    # booking.
    fresh = who.participant_id is None and not who.phone
    person = identify(orm, request.person, now, actor, write_now=not fresh)
    record_consents(orm, person, now, actor, sms=request.sms_consent, health=request.health_consent)
    result = services.book(
        orm,
        session,
        person,
        now,
        actor,
        source=request.source,
        wants_company=request.wants_company,
        guests=request.guests,
        overbook=request.overbook,
        fresh=fresh,
        settings=settings,
    )
    if request.companion_id:
        result.booking.companion_id = request.companion_id
    if request.staff_note.strip():
        result.booking.staff_note = request.staff_note.strip()[:STAFF_NOTE_LIMIT]
    if actor.kind in ("user", "token") and not services.sees_who_booked(actor, session.activity):
        # Whether this person had booked a health appointment is not theirs to learn: a booking
        # made before is answered as a new one would be now (a seat, the waiting list, full).
        if not result.created:
            seats = 1 + request.guests
            result = services.answer_as_new(
                orm, session, result, seats=seats, overbook=request.overbook
            )
        result = replace(result, discreet=True)
    return result


def record_consents(
    orm: OrmSession, person: Participant, now: datetime, actor: Actor, *, sms: bool, health: bool
) -> None:
    """Record the consents given now: by the person, or on their behalf by a user or token."""
    if person.id is None and (sms or health):
        orm.flush()  # someone new: written with their booking otherwise
    for kind, given in (("sms", sms and bool(person.phone)), ("health", health)):
        if given:
            services.record_consent(
                orm, person, kind, now,
                recorded_by_id=actor.user_id, recorded_by_token_id=actor.token_id,
            )  # fmt: skip


def _add_phone(
    orm: OrmSession, person: Participant, phone: str, now: datetime, actor: Actor
) -> None:
    """Give someone the house knows a number: a manager only, audited, and never one in use.

    Texts, "my bookings" and LINK follow the number, so whoever sets it could read the
    person's bookings (health appointments too). Below manager, the person proves a new
    number themselves, with a code, by signing up on their phone.
    """
    refused = None
    if actor.role not in MANAGERS:
        refused = _("Only a manager can give someone the house knows a mobile number.")
    elif person.phone:
        refused = _("This person has a number already; ask them to sign up from the new one.")
    elif services.holder_of(orm, phone) is not None:
        refused = _("This number belongs to someone else in the list.")
    if refused is not None:
        raise HavehusError(refused, "phone_refused", fields={"phone": refused})
    person.phone = phone
    audit.record(orm, "participant.phone_added", now, actor, target=person)


def identify(
    orm: OrmSession, who: Person, now: datetime, actor: Actor, *, write_now: bool = True
) -> Participant:
    """The participant a sign-up is for: the known one, or found or made by phone.
    `write_now=False`: someone new is written with what the caller adds next (no id till then).
    """
    if who.participant_id is not None:
        person = orm.get(Participant, who.participant_id)
        if person is None or person.anonymised_at is not None:
            raise HavehusError(_("This person is not in the list any more."), "invalid_participant")
        if who.phone and who.phone != person.phone:
            _add_phone(orm, person, who.phone, now, actor)
        return person
    person = services.find_or_create_participant(
        orm,
        name=who.name,
        phone=who.phone,
        language=who.language,
        channel=who.channel,
        now=now,
        created_by_id=actor.user_id,
        write_now=write_now,
    )
    if who.phone_proved:
        # Typed back from the phone just now: the number is theirs, and so is the language.
        person.language = who.language
        person.phone_verified_at = now
    return person
