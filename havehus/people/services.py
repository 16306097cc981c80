"""Staff users: creating them and checking their passwords."""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from havehus.errors import HavehusError
from havehus.models import StaffUser
from havehus.models.people import ROLES
from havehus.people import audit

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: StaffUser, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise HavehusError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            "weak_password",
        )


def create_staff_user(
    orm: OrmSession,
    email: str,
    role: str,
    password: str | None,
    now: datetime,
    *,
    name: str = "",
    actor_kind: str = "cli",
    actor_user_id: int | None = None,
) -> StaffUser:
    """Create a staff user with an argon2id password hash; raises HavehusError on bad input."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise HavehusError(_("That is not an e-mail address."), "invalid_email")
    if role not in ROLES:
        raise HavehusError(
            _("The role must be one of: %(roles)s.", roles=", ".join(ROLES)), "invalid_role"
        )
    if orm.scalar(select(func.count()).where(StaffUser.email == email)):
        raise HavehusError(_("A user with this e-mail address exists already."), "exists")
    if password is not None:
        check_password_strength(password)
    user = StaffUser(
        email=email,
        role=role,
        name=name,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now,
    )
    orm.add(user)
    orm.flush()
    audit.record(
        orm,
        "user.create",
        now,
        actor_kind=actor_kind,
        actor_user_id=actor_user_id,
        target=user,
        details={"role": role},
    )
    return user
