"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from havehus.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API token, a kiosk, the CLI or the worker."""

    kind: str
    user_id: int | None = None
    token_id: int | None = None
    ip: str | None = None


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
