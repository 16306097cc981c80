"""Signing in: passwords, throttling, two-factor codes and recovery codes."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from havehus.dbutil import execute_rowcount, hold_keys
from havehus.errors import HavehusError
from havehus.models import AuditEvent, LoginAttempt, RecoveryCode, StaffUser
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.people.passwords import verify_password_hash
from havehus.security import hash_token

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMIT = 10
#: How long admins are shown that an account was locked.
LOCKOUT_NOTICE_FOR = timedelta(hours=24)
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


@dataclass(frozen=True)
class Try:
    """Who is trying to sign in to which account, and what their failures count against.

    A browser that signed in to the account before (its device cookie names the account)
    counts only against itself, so wrong passwords from anywhere else cannot lock the owner
    out. Any other browser counts against the account and against its address.
    """

    email: str
    ip: str
    #: The known device's key (a hash of its cookie's nonce), or None.
    device: str | None = None

    def keys(self) -> tuple[str, ...]:
        if self.device:
            return (f"sign-in:device:{self.email}:{self.device}",)
        return (f"sign-in:account:{self.email}", f"sign-in:address:{self.ip}")


def _failures(orm: OrmSession, tried: Try, now: datetime) -> tuple[int, int]:
    """Failures within the window that count against the try: (its account or device, address)."""
    failed = (LoginAttempt.at >= now - THROTTLE_WINDOW) & LoginAttempt.succeeded.is_(False)
    count = select(func.count()).where(failed)
    if tried.device:
        mine = LoginAttempt.email == tried.email, LoginAttempt.device == tried.device
        return orm.scalar(count.where(*mine)) or 0, 0
    unknown = LoginAttempt.device.is_(None)
    by_account = orm.scalar(count.where(unknown, LoginAttempt.email == tried.email)) or 0
    by_address = orm.scalar(count.where(unknown, LoginAttempt.ip == tried.ip)) or 0
    return by_account, by_address


def _hold_and_check(orm: OrmSession, tried: Try, now: datetime) -> int:
    """Wait for parallel tries on the same keys, then refuse if the limit is reached.

    Returns the failures counted against the account (or device) so far. The keys stay held
    until the caller's transaction ends, so the count and the failure it may add are one step.
    """
    hold_keys(orm, *tried.keys())
    by_account, by_address = _failures(orm, tried, now)
    if by_account >= THROTTLE_LIMIT or by_address >= THROTTLE_LIMIT:
        raise HavehusError(_("Too many failed tries. Wait 15 minutes and try again."), "throttled")
    return by_account


def _fail(
    orm: OrmSession,
    tried: Try,
    failed_before: int,
    now: datetime,
    user: StaffUser | None,
    action: str,
) -> None:
    """Record a failed try, and tell admins when it locks the account for unknown devices."""
    orm.add(
        LoginAttempt(email=tried.email, ip=tried.ip, device=tried.device, at=now, succeeded=False)
    )
    actor = Actor("public", ip=tried.ip)
    audit.record(orm, action, now, actor, target=user, details={"email": tried.email})
    if user is not None and tried.device is None and failed_before + 1 == THROTTLE_LIMIT:
        audit.record(
            orm,
            "auth.account_locked",
            now,
            actor,
            target=user,
            details={"email": tried.email, "failures": THROTTLE_LIMIT},
        )


def _invalid() -> HavehusError:
    # One message for unknown e-mail, wrong password and disabled user: nothing to learn.
    return HavehusError(_("The e-mail or the password is not right."), "invalid_credentials")


def check_password_step(
    orm: OrmSession,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    *,
    devices: Mapping[int, str] | None = None,
) -> SignIn:
    """The first step of signing in; raises invalid_credentials or throttled.

    `devices` are the accounts this browser signed in to before (user id → device key).
    """
    email = email.strip().lower()[:254]
    user = orm.scalar(select(StaffUser).where(StaffUser.email == email))
    device = (devices or {}).get(user.id) if user is not None else None
    tried = Try(email, ip, device)
    failed_before = _hold_and_check(orm, tried, now)
    # verify_password_hash spends the same time when there is no user or no password.
    ok = verify_password_hash(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _fail(orm, tried, failed_before, now, user, "auth.login_failed")
        raise _invalid()
    failed = orm.scalar(
        select(func.count()).where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > (user.last_login_at or user.created_at),
        )
    )
    return SignIn(user, failed or 0, needs_second_factor=bool(user.totp_secret))


def complete_sign_in(
    orm: OrmSession, user: StaffUser, ip: str, now: datetime, *, device: str | None = None
) -> None:
    """Record a successful sign-in (after the second factor, when there is one)."""
    orm.add(LoginAttempt(email=user.email, ip=ip, device=device, at=now, succeeded=True))
    user.last_login_at = now
    audit.record(orm, "auth.login", now, Actor("user", user.id, ip=ip), target=user)


def check_second_factor_step(
    orm: OrmSession,
    user: StaffUser,
    code: str,
    ip: str,
    now: datetime,
    *,
    device: str | None = None,
) -> None:
    """The second step of signing in; raises throttled, or invalid_code once it is recorded.

    Its failures count against the same keys as the password's (`device`: a known device).
    """
    tried = Try(user.email, ip, device)
    failed_before = _hold_and_check(orm, tried, now)
    if not verify_second_factor(orm, user, code, now):
        _fail(orm, tried, failed_before, now, user, "auth.second_factor_failed")
        raise HavehusError(
            _("The code is not right, or it was used already. Wait for a new code."),
            "invalid_code",
        )


@dataclass(frozen=True)
class Lockout:
    """An account whose sign-in was paused for unknown devices (shown to admins for a day)."""

    email: str
    at: datetime
    failures: int = THROTTLE_LIMIT


def recent_lockouts(orm: OrmSession, now: datetime) -> list[Lockout]:
    """The accounts locked within the last day, each once with its latest lock, newest first."""
    events = orm.execute(
        select(AuditEvent.target_id, func.max(AuditEvent.at))
        .where(
            AuditEvent.action == "auth.account_locked",
            AuditEvent.at >= now - LOCKOUT_NOTICE_FOR,
        )
        .group_by(AuditEvent.target_id)
    ).all()
    locked = [(int(target), at) for target, at in events if target and target.isdigit()]
    emails: dict[int, str] = {
        user_id: email
        for user_id, email in orm.execute(
            select(StaffUser.id, StaffUser.email).where(
                StaffUser.id.in_([user_id for user_id, _at in locked])
            )
        )
    }
    found = [Lockout(emails[user_id], at) for user_id, at in locked if user_id in emails]
    return sorted(found, key=lambda lockout: lockout.at, reverse=True)


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
