"""Factories the whole suite shares, for state no service makes directly (attended, no-show)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.guards import Limits
from havehus.models import Activity, Booking, Participant, Session, Visit
from havehus.models.signup import SEAT_COUNTED
from havehus.signup.services import record_consent

_numbers = itertools.count(1)


def add_participant(
    name: str | None = None,
    *,
    at: datetime,
    phone: str | None = "auto",
    language: str = "da",
    consents: Iterable[str] = ("sms",),
    **fields: Any,
) -> Participant:
    """A participant with a unique public id and, unless told otherwise, a Danish mobile number
    of their own and consent to texts (a consent to texts needs a number)."""
    number = next(_numbers)
    person = Participant(
        public_id=f"person-{number}",
        display_name=name or f"Person {number}",
        phone=f"+4531{number % 1_000_000:06d}" if phone == "auto" else phone,
        language=language,
        created_at=at,
        **fields,
    )
    db.session.add(person)
    db.session.flush()
    for kind in consents:
        if kind != "sms" or person.phone:
            record_consent(db.session, person, kind, at)
    return person


def add_booking(
    holder: Session | Activity,
    person: Participant,
    status: str = "confirmed",
    *,
    at: datetime,
    source: str = "staff",
    **fields: Any,
) -> Booking:
    """A booking row in any status, its seat counted as the sign-up service counts it.

    For setting up history (attended, no-show) and states; a test of booking itself goes
    through `signup.sign_up.sign_up` or `signup.services.book`.
    """
    where = {"activity": holder} if isinstance(holder, Activity) else {"session": holder}
    booking = Booking(
        participant=person,
        **where,
        status=status,
        source=source,
        created_at=at,
        updated_at=at,
        waitlisted_at=at if status == "waitlisted" else None,
        **{"guests": 0, **fields},
    )
    db.session.add(booking)
    if status == "attended" and isinstance(holder, Session):  # come: a named visit, as marked
        before = "confirmed"
        db.session.add(
            Visit(
                session=holder,
                participant=person,
                booking=booking,
                booking_status_before=before,
                source="host",
                at=at,
            )
        )
    if status in SEAT_COUNTED:
        if isinstance(holder, Activity):
            holder.places_taken += booking.seats
        else:
            holder.seats_taken += booking.seats
    db.session.flush()
    return booking


def sms_limits() -> Limits:
    """The running test app's SMS guard rails, as the worker hands them to the outbox."""
    return Limits.from_settings(current_settings())


def number_key(phone: str) -> str:
    """The keyed hash an opt-out keeps of `phone`, under the running app's settings."""
    from havehus.config import current_settings
    from havehus.messaging import optout_log

    return optout_log.number_key(phone, current_settings())
