"""A booking's own link: the token of its page (see, cancel), made again for every text and
kept only as a hash."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from havehus.config import Settings
from havehus.models import (
    Booking,
)
from havehus.orm import OrmSession
from havehus.people import consents
from havehus.security import derived_token, hash_token
from havehus.signup.texts import BOOKING_PATH

SMS_WORDING = consents.CURRENT_WORDING["sms"]


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
