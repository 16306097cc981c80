"""Signing in: passwords, throttling, two-factor codes and recovery codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from havehus.dbutil import execute_rowcount
from havehus.errors import HavehusError
from havehus.models import LoginAttempt, RecoveryCode, StaffUser
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.people.passwords import verify_password_hash
from havehus.security import hash_token

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMIT = 10
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "havehus"
#: Roles that must use two-factor sign-in in production.
TWO_FACTOR_ROLES = ("admin", "manager")


@dataclass(frozen=True)
class SignIn:
    user: StaffUser
    #: Failed attempts on this account since its last successful sign-in.
    failed_since_last: int
    needs_second_factor: bool


def is_throttled(orm: OrmSession, email: str, ip: str, now: datetime) -> bool:
    """Ten failed tries for one account or from one client within 15 minutes."""
    since = now - THROTTLE_WINDOW
    failures = (
        select(LoginAttempt.email, LoginAttempt.ip)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
        .where(or_(LoginAttempt.email == email, LoginAttempt.ip == ip))
        .subquery()
    )
    by_email = orm.scalar(select(func.count()).where(failures.c.email == email)) or 0
    by_ip = orm.scalar(select(func.count()).where(failures.c.ip == ip)) or 0
    return by_email >= THROTTLE_LIMIT or by_ip >= THROTTLE_LIMIT


def _attempt(orm: OrmSession, email: str, ip: str, now: datetime, succeeded: bool) -> None:
    orm.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=succeeded))


def _invalid() -> HavehusError:
    # One message for unknown e-mail, wrong password and disabled user: nothing to learn.
    return HavehusError(_("The e-mail or the password is not right."), "invalid_credentials")


def _throttled() -> HavehusError:
    return HavehusError(_("Too many failed tries. Wait 15 minutes and try again."), "throttled")


def check_password_step(
    orm: OrmSession, email: str, password: str, ip: str, now: datetime
) -> SignIn:
    """The first step of signing in; raises invalid_credentials or throttled."""
    email = email.strip().lower()[:254]
    if is_throttled(orm, email, ip, now):
        raise _throttled()
    user = orm.scalar(select(StaffUser).where(StaffUser.email == email))
    # verify_password_hash spends the same time when there is no user or no password.
    ok = verify_password_hash(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _attempt(orm, email, ip, now, succeeded=False)
        audit.record(
            orm,
            "auth.login_failed",
            now,
            Actor("public", ip=ip),
            target=user,
            details={"email": email},
        )
        raise _invalid()
    failed = orm.scalar(
        select(func.count()).where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > (user.last_login_at or user.created_at),
        )
    )
    return SignIn(user, failed or 0, needs_second_factor=bool(user.totp_secret))


def complete_sign_in(orm: OrmSession, user: StaffUser, ip: str, now: datetime) -> None:
    """Record a successful sign-in (after the second factor, when there is one)."""
    _attempt(orm, user.email, ip, now, succeeded=True)
    user.last_login_at = now
    audit.record(orm, "auth.login", now, Actor("user", user.id, ip=ip), target=user)


def check_second_factor_step(
    orm: OrmSession, user: StaffUser, code: str, ip: str, now: datetime
) -> None:
    """The second step of signing in; raises throttled, or invalid_code once it is recorded."""
    if is_throttled(orm, user.email, ip, now):
        raise _throttled()
    if not verify_second_factor(orm, user, code, now):
        fail_second_factor(orm, user, ip, now)
        raise HavehusError(
            _("The code is not right, or it was used already. Wait for a new code."),
            "invalid_code",
        )


def fail_second_factor(orm: OrmSession, user: StaffUser, ip: str, now: datetime) -> None:
    _attempt(orm, user.email, ip, now, succeeded=False)
    audit.record(orm, "auth.second_factor_failed", now, Actor("public", ip=ip), target=user)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str, issuer: str = TOTP_ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second time step the code belongs to (now ±1 step), or None."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def verify_second_factor(orm: OrmSession, user: StaffUser, code: str, now: datetime) -> bool:
    """A fresh TOTP code (each may be used once) or an unused recovery code."""
    if user.totp_secret:
        step = _matching_step(user.totp_secret, code, now)
        if step is not None:
            # Conditional update: a code's time step is accepted once, even under a race.
            taken = execute_rowcount(
                orm,
                update(StaffUser)
                .where(
                    StaffUser.id == user.id,
                    or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
                )
                .values(totp_last_step=step),
            )
            orm.refresh(user)
            return taken == 1
    normalised = code.strip().replace("-", "").replace(" ", "").lower()
    if len(normalised) < 10:
        return False
    used = execute_rowcount(
        orm,
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_user_id == user.id,
            RecoveryCode.code_hash == hash_token(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now),
    )
    return used == 1


def _new_recovery_codes(orm: OrmSession, user: StaffUser, now: datetime) -> list[str]:
    orm.execute(
        update(RecoveryCode)
        .where(RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hex digits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        orm.add(RecoveryCode(staff_user_id=user.id, code_hash=hash_token(raw), created_at=now))
    return codes


def enable_two_factor(
    orm: OrmSession, user: StaffUser, secret: str, code: str, now: datetime, actor: Actor
) -> list[str]:
    """Turn on TOTP once the user proves the app works; returns recovery codes (shown once)."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise HavehusError(
            _("The code is not right. Check the time on your phone and try again."),
            "invalid_code",
        )
    user.totp_secret = secret
    user.totp_last_step = step
    codes = _new_recovery_codes(orm, user, now)
    audit.record(orm, "auth.two_factor_enabled", now, actor, target=user)
    return codes


def disable_two_factor(
    orm: OrmSession, user: StaffUser, now: datetime, actor: Actor, *, required: bool
) -> None:
    if required:
        raise HavehusError(
            _("Two-factor sign-in is required for your role."), "two_factor_required"
        )
    user.totp_secret = None
    user.totp_last_step = None
    orm.execute(
        update(RecoveryCode)
        .where(RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    audit.record(orm, "auth.two_factor_disabled", now, actor, target=user)


def unused_recovery_codes(orm: OrmSession, user: StaffUser) -> int:
    return (
        orm.scalar(
            select(func.count()).where(
                RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )
