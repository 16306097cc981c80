"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from havehus.models import AuditEvent


def record(
    orm: OrmSession,
    action: str,
    now: datetime,
    *,
    actor_kind: str,
    actor_user_id: int | None = None,
    actor_token_id: int | None = None,
    target: Any = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it records)."""
    event = AuditEvent(
        at=now,
        action=action,
        actor_kind=actor_kind,
        actor_user_id=actor_user_id,
        actor_token_id=actor_token_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        details=details or {},
        ip=ip,
    )
    orm.add(event)
    return event
