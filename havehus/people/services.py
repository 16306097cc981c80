"""Staff users: creating, inviting, changing roles, disabling, passwords."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update

from havehus.dbutil import execute_rowcount
from havehus.errors import HavehusError
from havehus.i18n import KNOWN_LANGUAGES
from havehus.models import StaffInvite, StaffUser
from havehus.models.people import STAFF_ROLES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.people.passwords import (
    check_password_strength,
    hash_password,
    verify_password_hash,
)
from havehus.security import hash_token, new_token

INVITE_VALID_FOR = timedelta(days=7)
RESET_VALID_FOR = timedelta(days=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def verify_password(user: StaffUser, password: str) -> bool:
    return verify_password_hash(user.password_hash, password)


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise HavehusError(_("That is not an e-mail address."), "invalid_email")
    return email


def _check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise HavehusError(
            _("The role must be one of: %(roles)s.", roles=", ".join(STAFF_ROLES)), "invalid_role"
        )


def create_staff_user(
    orm: OrmSession,
    email: str,
    role: str,
    password: str | None,
    now: datetime,
    *,
    name: str = "",
    actor: Actor = audit.CLI,
    translates: str | None = None,
) -> StaffUser:
    """Create a staff user (password None: they set it through an invite link).

    A translator reviews one language of the house's residents (`translates`), not Danish or
    English; no other role translates.
    """
    email = _normalise_email(email)
    _check_role(role)
    if (role == "translator") != (translates is not None) or translates in ("da", "en"):
        raise HavehusError(_("A translator reviews one of the residents' languages."), "translates")
    if translates is not None and translates not in KNOWN_LANGUAGES:
        raise HavehusError(_("A translator reviews one of the residents' languages."), "translates")
    if orm.scalar(select(func.count()).where(StaffUser.email == email)):
        raise HavehusError(_("A user with this e-mail address exists already."), "exists")
    if password is not None:
        check_password_strength(password, email=email)
    user = StaffUser(
        email=email,
        role=role,
        name=name.strip()[:120],
        translates=translates,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now,
    )
    orm.add(user)
    orm.flush()
    audit.record(orm, "user.create", now, actor, target=user, details={"role": role})
    return user


def _issue_link(orm: OrmSession, user: StaffUser, purpose: str, now: datetime, actor: Actor) -> str:
    # A new link makes the older unused ones of the same purpose useless.
    orm.execute(
        update(StaffInvite)
        .where(
            StaffInvite.staff_user_id == user.id,
            StaffInvite.purpose == purpose,
            StaffInvite.used_at.is_(None),
        )
        .values(expires_at=now)
    )
    raw, digest = new_token()
    valid_for = INVITE_VALID_FOR if purpose == "invite" else RESET_VALID_FOR
    orm.add(
        StaffInvite(
            staff_user_id=user.id,
            purpose=purpose,
            token_hash=digest,
            created_by_id=actor.user_id,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return raw


def invite_user(
    orm: OrmSession, email: str, role: str, now: datetime, actor: Actor, *, name: str = ""
) -> tuple[StaffUser, str]:
    """Create a user without a password and a one-time link for them to set one."""
    user = create_staff_user(orm, email, role, None, now, name=name, actor=actor)
    raw = _issue_link(orm, user, "invite", now, actor)
    audit.record(orm, "user.invite", now, actor, target=user)
    return user, raw


def reset_password_link(orm: OrmSession, user: StaffUser, now: datetime, actor: Actor) -> str:
    """A one-time link (valid one day) for the user to choose a new password."""
    raw = _issue_link(orm, user, "reset", now, actor)
    audit.record(orm, "user.reset_password", now, actor, target=user)
    return raw


def find_valid_invite(orm: OrmSession, raw: str, now: datetime) -> StaffInvite | None:
    invite = orm.scalar(select(StaffInvite).where(StaffInvite.token_hash == hash_token(raw)))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    if not invite.staff_user.active:
        return None
    return invite


def accept_invite(orm: OrmSession, raw: str, password: str, now: datetime, ip: str) -> StaffUser:
    """Set the password through a one-time link; the link cannot be used again."""
    invite = find_valid_invite(orm, raw, now)
    if invite is None:
        raise HavehusError(
            _("This link has expired or was used already. Ask for a new one."), "expired_link"
        )
    user = invite.staff_user
    check_password_strength(password, email=user.email)
    # The conditional update makes the link single-use even when two requests race.
    claimed = execute_rowcount(
        orm,
        update(StaffInvite)
        .where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
        .values(used_at=now),
    )
    if claimed != 1:
        raise HavehusError(
            _("This link has expired or was used already. Ask for a new one."), "expired_link"
        )
    user.password_hash = hash_password(password)
    user.session_generation += 1
    audit.record(
        orm, f"user.{invite.purpose}_accepted", now, Actor("user", user.id, ip=ip), target=user
    )
    return user


def _active_admins(orm: OrmSession) -> int:
    return (
        orm.scalar(
            select(func.count()).where(StaffUser.role == "admin", StaffUser.active.is_(True))
        )
        or 0
    )


def change_role(orm: OrmSession, user: StaffUser, role: str, now: datetime, actor: Actor) -> None:
    _check_role(role)
    if role == user.role:
        return
    if user.role == "admin" and user.active and _active_admins(orm) <= 1:
        raise HavehusError(_("The last administrator cannot lose the role."), "last_admin")
    previous, user.role = user.role, role
    user.session_generation += 1  # a new role takes effect on the next sign-in
    audit.record(
        orm, "user.role_change", now, actor, target=user, details={"from": previous, "to": role}
    )


def set_active(orm: OrmSession, user: StaffUser, active: bool, now: datetime, actor: Actor) -> None:
    """Disable (signs the user out at their next request) or enable a user."""
    if active == user.active:
        return
    if not active and user.role == "admin" and _active_admins(orm) <= 1:
        raise HavehusError(_("The last administrator cannot be disabled."), "last_admin")
    user.active = active
    if not active:
        user.session_generation += 1
    audit.record(orm, "user.enable" if active else "user.disable", now, actor, target=user)


def change_own_password(
    orm: OrmSession, user: StaffUser, current: str, new: str, now: datetime, actor: Actor
) -> None:
    if not verify_password(user, current):
        raise HavehusError(_("The current password is not right."), "wrong_password")
    check_password_strength(new, email=user.email)
    user.password_hash = hash_password(new)
    user.session_generation += 1  # other devices are signed out
    audit.record(orm, "user.password_change", now, actor, target=user)


def sign_out_everywhere(orm: OrmSession, user: StaffUser, now: datetime, actor: Actor) -> None:
    user.session_generation += 1
    audit.record(orm, "auth.sign_out_everywhere", now, actor, target=user)


def user_list() -> Select[StaffUser]:
    """The query for the users page: active users first, each group by e-mail."""
    return select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email)


def users_by_email(orm: OrmSession) -> list[StaffUser]:
    """Every staff user, active or not, by e-mail (the audit trail's "who" choices)."""
    return list(orm.scalars(select(StaffUser).order_by(StaffUser.email)))
