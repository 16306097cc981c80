"""Self check-in: people say "I am here" themselves — on their own phone, from the session's
printed QR code, or on the kiosk tablet in the house — by their number or anonymously.

Every visit goes through the rules in services.py (`record_visit`, `count`). The answer to a
check-in never depends on the number typed: a known number marks that person's booking (or
records a walk-in), an unknown one counts one anonymous adult, and both get the same welcome,
so the pages are no way to learn who is known or who booked (above all a health appointment).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

from havehus.attendance import services
from havehus.errors import HavehusError
from havehus.models import Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.security import derived_token
from havehus.signup.kiosk import CHECK_IN_EARLY, accepts_check_in
from havehus.signup.services import holder_of

#: A QR check-in opens as the kiosk's does (a little before the start) and stays open this
#: long after the end, for the person who scans the code on the way out.
QR_GRACE = timedelta(minutes=30)
#: Where a visit came from.
SOURCES = ("qr", "kiosk")


def qr_window(session: Session) -> tuple[datetime, datetime]:
    """When a session's QR code checks people in: [opens, closes)."""
    return session.starts_at - CHECK_IN_EARLY, session.ends_at + QR_GRACE


def check_qr_open(session: Session, now: datetime) -> None:
    """HavehusError with a kind message when the session's QR code does not check in now."""
    if session.status == SessionStatus.CANCELLED:
        raise HavehusError(
            _("This session is cancelled, so there is nothing to check in to."), "cancelled"
        )
    opens, closes = qr_window(session)
    if now < opens:
        raise HavehusError(
            _("You can say you are here from 30 minutes before the start. See you then!"),
            "not_yet",
        )
    if now >= closes:
        raise HavehusError(
            _("This session is over, so checking in has closed. Thank you for coming!"), "over"
        )


def check_kiosk_open(session: Session, now: datetime) -> None:
    """The kiosk offers "I am here" while the session is on (and a little before)."""
    if not accepts_check_in(session, now):
        raise HavehusError(_("You can say you are here while it is on."), "closed")


def device_key(device: str, session_id: int, purpose: str, secret: str) -> str:
    """The tap key of one phone's check-in (or pulse) at one session: the same each time that
    phone asks, so a double tap or a second visit to the page counts once."""
    return derived_token(secret, f"check-in-{purpose}", session_id, device)


def check_in_anonymously(orm: OrmSession, session: Session, key: str, now: datetime) -> None:
    """One anonymous adult, once per key."""
    services.count(orm, session, "adults", 1, key, now, None)


def check_in_by_phone(
    orm: OrmSession,
    session: Session,
    phone: str,
    key: str,
    source: str,
    now: datetime,
    actor: Actor,
) -> None:
    """The person with this (E.164) number is here: their visit, once however often they
    check in. A number nobody has counts one anonymous adult (under `key`) instead — and so
    does a known person at a health appointment they have not booked: a walk-in visit would
    register a health appointment without the consent a booking asks for.

    Returns nothing on purpose: whatever happened, the caller answers with the same welcome.
    """
    person = holder_of(orm, phone)
    if person is not None and (
        not session.activity.sensitive or services.live_booking_of(orm, session, person)
    ):
        services.record_visit(orm, session, person, source, now, actor)
        return
    check_in_anonymously(orm, session, key, now)
