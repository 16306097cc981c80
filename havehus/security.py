"""Capability tokens: random, at least 128 bits, stored only as a SHA-256 hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from havehus.staff_area import is_staff_path

#: 32 random bytes = 256 bits, URL-safe.
TOKEN_BYTES = 32
#: Paths whose next segment is a capability token: whoever has the address has the access.
CAPABILITY_PATHS = ("/me/", "/bookings/", "/feeds/", "/staff/invite/")
_CAPABILITY = re.compile(
    "^(" + "|".join(re.escape(prefix) for prefix in CAPABILITY_PATHS) + r")[^/]+?(\.ics)?(?=/|$)"
)


def hash_token(raw: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token(prefix: str = "") -> tuple[str, str]:
    """A fresh token and its hash; the raw token is shown once and never stored."""
    raw = prefix + secrets.token_urlsafe(TOKEN_BYTES)
    return raw, hash_token(raw)


def same(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def derived_token(secret: str, purpose: str, *parts: object) -> str:
    """A 256-bit token computed from the app's secret and the record it opens.

    Used where a link must be sent again later (a booking's link in each text) without
    storing the token: only its hash is stored, and changing a part (a nonce) revokes it.
    """
    message = ":".join([purpose, *(str(part) for part in parts)]).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """The HMAC-SHA-256 (hex) of a value under the app's secret, for one purpose.

    Stored instead of a value that must be recognised again but never read back (a name on
    an imported attendance list): without the secret, the hash cannot be tried against names.
    """
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def redact_path(path: str) -> str:
    """The path with its capability token replaced by "…", fit for a log line."""
    return _CAPABILITY.sub(lambda m: f"{m.group(1)}…{m.group(2) or ''}", path, count=1)


def private_answer(path: str, authorised: bool) -> bool:
    """Whether the answer shows someone's own data, so no browser or proxy may store it.

    Staff pages, the pages a capability link opens (a calendar feed keeps its own caching:
    calendar apps poll it), and anything answered to a bearer token.
    """
    if authorised or is_staff_path(path):
        return True
    return path.startswith(CAPABILITY_PATHS) and not path.endswith(".ics")
