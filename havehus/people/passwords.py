"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

from havehus.errors import HavehusError
from havehus.paths import PACKAGE_DIR

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
#: Verified against when the e-mail is unknown, so both answers take about as long.
_dummy_hash = _hasher.hash("no user has this password, it only spends the same time")


def use_test_parameters() -> None:
    """Cheap argon2id for the test suite only (thousands of hashes); never in production."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash = _hasher.hash("no user has this password, it only spends the same time")


@cache
def common_passwords() -> frozenset[str]:
    path = PACKAGE_DIR / "people" / "common_passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password_hash(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _is_common(password: str) -> bool:
    lowered = password.lower()
    words = common_passwords()
    if lowered in words:
        return True
    # "password2024!" or "qwertyqwerty": a common word with a short suffix, or repeated.
    stem = re.sub(r"[\d\W_]{1,6}$", "", lowered)
    if stem in words and len(stem) >= 4:
        return True
    if len(set(lowered)) <= 3:
        return True
    for size in range(1, len(lowered) // 2 + 1):
        unit = lowered[:size]
        if len(lowered) % size == 0 and unit * (len(lowered) // size) == lowered:
            return True
    return False


def check_password_strength(password: str, *, email: str = "") -> None:
    """Raise HavehusError(code="weak_password") unless the password is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise HavehusError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            "weak_password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise HavehusError(_("The password is too long."), "weak_password")
    local_part = email.split("@", 1)[0].lower()
    if _is_common(password) or (len(local_part) >= 4 and local_part in password.lower()):
        raise HavehusError(
            _("This password is too common or too easy to guess. Choose another one."),
            "weak_password",
        )
