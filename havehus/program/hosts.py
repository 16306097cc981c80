"""Who can host (take a shift), and who hosts a session."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from havehus.models import Session, StaffUser
from havehus.orm import OrmSession
from havehus.program.results import invalid

#: Roles that can take a shift.
HOST_ROLES = ("admin", "manager", "host")


def _can_host() -> Select[Any]:
    return (
        select(StaffUser)
        .where(StaffUser.active.is_(True), StaffUser.role.in_(HOST_ROLES))
        .order_by(StaffUser.name, StaffUser.email)
    )


def host_choices(orm: OrmSession) -> list[StaffUser]:
    """Everyone who can take a shift, by name."""
    return list(orm.scalars(_can_host()))


def hosts_with_ids(orm: OrmSession, ids: Iterable[int]) -> list[StaffUser]:
    """These users, by name; HavehusError "invalid" (on host_ids) when one cannot host."""
    wanted = set(ids)
    hosts = list(orm.scalars(_can_host().where(StaffUser.id.in_(wanted)))) if wanted else []
    if len(hosts) != len(wanted):
        raise invalid({"host_ids": _("Only active hosts, managers and administrators can host.")})
    return hosts


def effective_hosts(session: Session) -> list[StaffUser]:
    """The session's own rota, else the activity's regular hosts."""
    return list(session.hosts) or list(session.activity.hosts)
