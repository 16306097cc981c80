"""Capability tokens: random, at least 128 bits, stored only as a SHA-256 hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: 32 random bytes = 256 bits, URL-safe.
TOKEN_BYTES = 32


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
