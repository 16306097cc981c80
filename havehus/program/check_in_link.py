"""The code printed in a session's QR code: whoever scans it is in the house.

The code is derived from the session's id and the app's secret (nothing is stored), so it
cannot be guessed by browsing the site; the week poster and the session sign print the link
with it, and the check-in page (attendance) accepts only that code.
"""

from __future__ import annotations

from flask import url_for

from havehus.config import Settings
from havehus.security import derived_token, same

#: 16 URL-safe characters: 96 bits, short enough for a small, easily read QR code.
CODE_LENGTH = 16
#: The check-in page (attendance's blueprint), named here so the printed link is built once.
CHECK_IN_ENDPOINT = "checkin.qr"


def check_in_code(session_id: int, secret: str) -> str:
    """The session's check-in code: the same every time, different for every session."""
    return derived_token(secret, "check-in", session_id)[:CODE_LENGTH]


def is_check_in_code(session_id: int, code: str, secret: str) -> bool:
    """Whether `code` is this session's check-in code (compared in constant time)."""
    return len(code) == CODE_LENGTH and same(code, check_in_code(session_id, secret))


def check_in_url(session_id: int, settings: Settings) -> str:
    """The full public address a session's QR code opens."""
    code = check_in_code(session_id, settings.secret_key)
    return settings.public_link(url_for(CHECK_IN_ENDPOINT, session_id=session_id, code=code))
