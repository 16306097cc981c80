"""What a reply does to bookings: JA takes a seat or says "coming", NEJ cancels, LINK texts
the "my bookings" link. Messaging understands the words; these handlers are registered with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select

from havehus.config import Settings
from havehus.messaging import replies
from havehus.messaging.replies import Outcome
from havehus.models import Booking, BookingStatus, Participant, Session, SessionStatus
from havehus.models.signup import OPEN, SEAT_HOLDING
from havehus.orm import OrmSession
from havehus.people.audit import PUBLIC
from havehus.program.wording import activity_name, when_text
from havehus.signup import me, services, texts
from havehus.signup import seats as signup_seats
from havehus.signup import tokens as signup_tokens


def register() -> None:
    """Hand messaging what yes, no and link replies do."""
    replies.register_handler("yes", _yes)
    replies.register_handler("no", _no)
    replies.register_handler("link", _link)
    replies.register_handler("ask_no", _ask_no)


def upcoming(
    orm: OrmSession, people: Sequence[Participant], statuses: Sequence[str], now: datetime
) -> list[tuple[Booking, Session]]:
    """These people's bookings in `statuses` with the session they are about, nearest first."""
    if not people:
        return []
    ahead = select(Session.id).where(
        Session.status == SessionStatus.SCHEDULED, Session.starts_at > now
    )
    bookings = orm.scalars(
        select(Booking).where(
            Booking.participant_id.in_([p.id for p in people]),
            Booking.status.in_(statuses),
            or_(Booking.session_id.in_(ahead), Booking.activity_id.is_not(None)),
        )
    ).all()
    found = []
    for booking in bookings:
        # A course's booking is about its next session; a course that is over has none.
        session = signup_seats.session_of(orm, booking, now)
        if (
            session is not None
            and session.status == SessionStatus.SCHEDULED
            and session.starts_at > now
        ):
            found.append((booking, session))
    return sorted(found, key=lambda pair: (pair[1].starts_at, pair[0].id))


def _about(booking: Booking, session: Session) -> dict[str, str]:
    language = booking.participant.language
    return {
        "name": activity_name(session.activity, language),
        "when": when_text(session, language),
    }


def _yes(orm: OrmSession, people: list[Participant], now: datetime, settings: Settings) -> Outcome:
    """Take an offered seat, or note that the person is coming to their next session.

    A seat held for them comes first: the offer's text asked for this JA, and it runs out."""
    found = upcoming(orm, people, SEAT_HOLDING, now)
    found.sort(key=lambda pair: pair[0].status != BookingStatus.OFFERED)  # stable: nearest next
    if not found:
        return Outcome("yes", _("We could not find a booking to confirm for this number."))
    booking, session = found[0]
    outcome = Outcome("yes", booking=booking, session=session, participant=booking.participant)
    with force_locale(booking.participant.language):
        values = _about(booking, session)
        if booking.status == BookingStatus.OFFERED:
            if signup_seats.accept_offer(orm, booking, now, settings):
                values["link"] = signup_tokens.booking_url(booking, settings)
                values["word"] = texts.cancel_word(booking.participant.language)
                outcome.reply = (
                    _(
                        "The seat is yours: %(name)s, %(when)s. If you cannot come after all, "
                        'reply "%(word)s" or cancel here: %(link)s'
                    )
                    % values
                )
            else:
                outcome.reply = (
                    _("Sorry, the seat for %(name)s, %(when)s was no longer held for you.") % values
                )
        else:
            booking.intent_confirmed_at = now
            outcome.reply = _("Thank you! See you at %(name)s, %(when)s.") % values
    return outcome


def _no(orm: OrmSession, people: list[Participant], now: datetime, settings: Settings) -> Outcome:
    """Cancel the nearest booking: its seat goes to the next on the waiting list at once."""
    found = upcoming(orm, people, OPEN, now)
    if not found:
        return Outcome("no", _("We could not find a booking to cancel for this number."))
    booking, session = found[0]
    was_waiting = booking.status == BookingStatus.WAITLISTED
    services.cancel(orm, booking, now, PUBLIC, settings)
    outcome = Outcome("no", booking=booking, session=session, participant=booking.participant)
    with force_locale(booking.participant.language):
        values = _about(booking, session)
        if was_waiting:
            outcome.reply = (
                _("You are off the waiting list for %(name)s, %(when)s. Thank you for telling us.")
                % values
            )
        else:
            outcome.reply = (
                _(
                    "Cancelled: %(name)s, %(when)s. Thank you for telling us: your seat goes to "
                    "someone else."
                )
                % values
            )
    return outcome


def _ask_no(
    orm: OrmSession, people: list[Participant], now: datetime, settings: Settings
) -> Outcome:
    """A reply that might mean "cancel": ask which, change nothing, and keep it for staff."""
    found = upcoming(orm, people, OPEN, now)
    site = settings.site_name
    if not found:
        return Outcome(
            "other",
            _("Thank you for your message. Someone from %(site)s will read it.") % {"site": site},
        )
    booking, session = found[0]
    outcome = Outcome("other", session=session, participant=booking.participant)
    with force_locale(booking.participant.language):
        outcome.reply = _(
            'Do you want to cancel %(name)s, %(when)s? Then reply "%(word)s".',
            **_about(booking, session),
            word=texts.cancel_word(booking.participant.language),
        )
    return outcome


def _link(orm: OrmSession, people: list[Participant], now: datetime, settings: Settings) -> Outcome:
    """The "my bookings" link of everyone with this number."""
    if not people:
        return Outcome("link", _("We have no bookings for this number."), kind="link")
    links = [
        (person, settings.public_link(f"/me/{me.personal_token(orm, person, now, settings)}"))
        for person in people
    ]
    with force_locale(people[0].language):
        if len(links) == 1:
            reply = _("Your bookings: %(link)s") % {"link": links[0][1]}
        else:
            # A shared phone: one link per person, named, so each finds their own.
            lines = [f"{person.display_name}: {link}" for person, link in links]
            reply = _("Your bookings:") + "\n" + "\n".join(lines)
    return Outcome("link", reply, participant=people[0], kind="link")
