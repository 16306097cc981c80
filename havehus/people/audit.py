"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, insert, select

from havehus.dbutil import execute_apart
from havehus.models import AuditEvent, StaffUser
from havehus.orm import OrmSession
from havehus.timeutil import local_to_utc


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API token, a kiosk, the CLI or the worker."""

    kind: str
    user_id: int | None = None
    token_id: int | None = None
    ip: str | None = None
    #: The staff role of the user or token ("host", "manager", …); None for everyone else.
    role: str | None = None


CLI = Actor("cli")
WORKER = Actor("worker")
#: A resident acting for themselves (on a phone, proved by a texted code).
PUBLIC = Actor("public")


def record(
    orm: OrmSession,
    action: str,
    now: datetime,
    actor: Actor,
    *,
    target: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it records)."""
    event = AuditEvent(
        at=now,
        action=action,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        ip=actor.ip,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        details=details or {},
    )
    orm.add(event)
    return event


#: Access events (who looked at what) start with this; the admins' monthly summary counts them.
ACCESS = "access."


def record_access(
    orm: OrmSession,
    what: str,
    now: datetime,
    actor: Actor,
    *,
    target: Any,
    details: dict[str, Any] | None = None,
) -> None:
    """Log that staff looked at or took out someone's data (`access.<what>`).

    Written also from a page that only reads (in its own short transaction then), so every
    look is kept whether or not the request changes anything.
    """
    execute_apart(
        orm,
        insert(AuditEvent).values(
            at=now,
            action=ACCESS + what,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            actor_token_id=actor.token_id,
            ip=actor.ip,
            target_type=type(target).__name__,
            target_id=str(target.id),
            details=details or {},
        ),
    )


@dataclass(frozen=True)
class AccessLine:
    """One line of the monthly summary: a staff member, what they looked at, how often."""

    who: str
    what: str
    times: int
    records: int


def access_summary(orm: OrmSession, start: datetime, end: datetime) -> list[AccessLine]:
    """Who looked at what between `start` and `end`: per staff member and kind of access, how
    many times and how many different records (people or sessions)."""
    rows = orm.execute(
        select(
            StaffUser.name,
            StaffUser.email,
            AuditEvent.actor_kind,
            AuditEvent.action,
            func.count(),
            func.count(AuditEvent.target_id.distinct()),
        )
        .outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_user_id)
        .where(AuditEvent.action.startswith(ACCESS), AuditEvent.at >= start, AuditEvent.at < end)
        .group_by(StaffUser.name, StaffUser.email, AuditEvent.actor_kind, AuditEvent.action)
        .order_by(StaffUser.email, AuditEvent.action)
    ).all()
    return [
        AccessLine(name or email or kind, action.removeprefix(ACCESS), times, records)
        for name, email, kind, action, times, records in rows
    ]


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the trail to; an empty field narrows nothing."""

    #: The start of the action's name, e.g. "auth." or "user.role".
    action: str = ""
    actor_user_id: int | None = None
    #: Local days, both inclusive.
    date_from: date | None = None
    date_to: date | None = None


def audit_list(selected: AuditFilter, tz: ZoneInfo) -> Select[AuditEvent]:
    """The query for the audit page: newest first, narrowed by the filter's fields."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if selected.action:
        query = query.where(AuditEvent.action.startswith(selected.action))
    if selected.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == selected.actor_user_id)
    if selected.date_from:
        query = query.where(AuditEvent.at >= local_to_utc(selected.date_from, time(0), tz))
    if selected.date_to:
        end = selected.date_to + timedelta(days=1)
        query = query.where(AuditEvent.at < local_to_utc(end, time(0), tz))
    return query
