"""The code printed in a session's QR code: whoever scans it is in the house.

The code is derived from the session's id and the app's secret (nothing is stored), so it
cannot be guessed by browsing the site; the week poster and the session sign print the link
with it, and the check-in page (attendance) accepts only that code.
"""

from __future__ import annotations

from flask import url_for

from havehus.config import current_settings
from havehus.security import derived_token, same

#: 16 URL-safe characters: 96 bits, short enough for a small, easily read QR code.
CODE_LENGTH = 16
#: The check-in page (attendance's blueprint), named here so the printed link is built once.
CHECK_IN_ENDPOINT = "checkin.qr"


def check_in_code(session_id: int) -> str:
    """The session's check-in code: the same every time, different for every session."""
    secret = current_settings().secret_key
    return derived_token(secret, "check-in", session_id)[:CODE_LENGTH]


def is_check_in_code(session_id: int, code: str) -> bool:
    """Whether `code` is this session's check-in code (compared in constant time)."""
    return len(code) == CODE_LENGTH and same(code, check_in_code(session_id))


def check_in_url(session_id: int) -> str:
    """The full public address a session's QR code opens."""
    base = current_settings().public_url.rstrip("/")
    path = url_for(CHECK_IN_ENDPOINT, session_id=session_id, code=check_in_code(session_id))
    return base + path
