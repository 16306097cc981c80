"""API tokens and kiosk devices: created once, shown once, stored hashed, revocable."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from havehus.dbutil import execute_apart
from havehus.errors import HavehusError
from havehus.models import ApiToken, KioskDevice, Location
from havehus.models.people import ROLES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.security import hash_token, new_token

API_TOKEN_PREFIX = "hh_"
#: last_used_at / last_seen_at are written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
#: Which token roles a user of each role may create: never more than their own.
GRANTABLE_ROLES = {
    "admin": ROLES,
    "manager": ("manager", "host", "partner"),
}


def _clean_name(name: str) -> str:
    name = " ".join(name.split())[:120]
    if not name:
        raise HavehusError(_("Give it a name, so you can tell it apart later."), "invalid_name")
    return name


def create_api_token(
    orm: OrmSession,
    name: str,
    role: str,
    now: datetime,
    actor: Actor,
    *,
    actor_role: str = "admin",
) -> tuple[ApiToken, str]:
    """A new bearer token for a partner system; the raw token is returned once."""
    if role not in GRANTABLE_ROLES.get(actor_role, ()):
        raise HavehusError(
            _("You cannot create a token with the role %(role)s.", role=role), "invalid_role"
        )
    raw, digest = new_token(API_TOKEN_PREFIX)
    token = ApiToken(
        name=_clean_name(name),
        role=role,
        token_hash=digest,
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        created_by_id=actor.user_id,
        created_at=now,
    )
    orm.add(token)
    orm.flush()
    audit.record(orm, "token.create", now, actor, target=token, details={"role": role})
    return token, raw


Credential = TypeVar("Credential", ApiToken, KioskDevice)


def _revoke(orm: OrmSession, record: ApiToken | KioskDevice, action: str, now: datetime,
            actor: Actor) -> None:  # fmt: skip
    if record.revoked_at is None:
        record.revoked_at = now
        audit.record(orm, action, now, actor, target=record)


def _find_live(
    orm: OrmSession, model: type[Credential], raw: str, now: datetime, touched: str
) -> Credential | None:
    """The unrevoked record whose hash matches; notes (at most each minute) it was used."""
    record = orm.scalar(select(model).where(model.token_hash == hash_token(raw)))
    if record is None or record.revoked_at is not None:
        return None
    last = getattr(record, touched)
    if last is None or now - last >= TOUCH_INTERVAL:
        execute_apart(orm, update(model).where(model.id == record.id).values({touched: now}))
    return record


def revoke_api_token(orm: OrmSession, token: ApiToken, now: datetime, actor: Actor) -> None:
    _revoke(orm, token, "token.revoke", now, actor)


def api_token_list() -> Select[ApiToken]:
    """The query for the tokens page: live tokens first, newest first."""
    return select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())


def find_api_token(orm: OrmSession, raw: str, now: datetime) -> ApiToken | None:
    """The live token for a bearer value, or None; notes when it was last used."""
    return _find_live(orm, ApiToken, raw, now, "last_used_at")


def enrol_kiosk(
    orm: OrmSession, name: str, location_id: int | None, now: datetime, actor: Actor
) -> tuple[KioskDevice, str]:
    """Register a tablet; the raw token goes into its long-lived device cookie."""
    if location_id is not None and orm.get(Location, location_id) is None:
        raise HavehusError(_("Unknown location."), "invalid_location")
    raw, digest = new_token()
    device = KioskDevice(
        name=_clean_name(name),
        token_hash=digest,
        location_id=location_id,
        created_by_id=actor.user_id,
        created_at=now,
        last_seen_at=now,
    )
    orm.add(device)
    orm.flush()
    audit.record(orm, "kiosk.enrol", now, actor, target=device)
    return device, raw


def revoke_kiosk(orm: OrmSession, device: KioskDevice, now: datetime, actor: Actor) -> None:
    _revoke(orm, device, "kiosk.revoke", now, actor)


def kiosk_list() -> Select[KioskDevice]:
    """The query for the tablets page: live devices first, newest first."""
    return select(KioskDevice).order_by(
        KioskDevice.revoked_at.is_not(None), KioskDevice.created_at.desc()
    )


def kiosk_locations(orm: OrmSession) -> list[Location]:
    """The locations a tablet can be placed at, by name."""
    return list(orm.scalars(select(Location).order_by(Location.name)))


def find_kiosk(orm: OrmSession, raw: str, now: datetime) -> KioskDevice | None:
    """The enrolled, unrevoked device for a cookie value, or None; notes it was seen."""
    return _find_live(orm, KioskDevice, raw, now, "last_seen_at")
