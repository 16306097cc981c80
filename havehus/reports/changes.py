"""A report's own record (a target, a register line) made, changed or deleted: each with its
event in the audit trail, the details before and after. Commits nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from havehus.models import RegisterIndicator, Target
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor

R = TypeVar("R", Target, RegisterIndicator)
Details = Callable[[R], dict[str, object]]


def create(
    orm: OrmSession, record: R, now: datetime, actor: Actor, event: str, details: Details[R]
) -> R:
    """Add the filled-in `record` and audit it as `event` ("report.target_created")."""
    orm.add(record)
    orm.flush()
    audit.record(orm, event, now, actor, target=record, details=details(record))
    return record


def change(
    orm: OrmSession,
    record: R,
    fill: Callable[[], None],
    now: datetime,
    actor: Actor,
    event: str,
    details: Details[R],
) -> R:
    """Change `record` by `fill` (which checks first and writes nothing when refused) and audit
    what it was and what it is."""
    before = details(record)
    fill()
    record.updated_at = now
    orm.flush()
    audit.record(
        orm,
        event,
        now,
        actor,
        target=record,
        details={"before": before, "after": details(record)},
    )
    return record


def delete(
    orm: OrmSession, record: R, now: datetime, actor: Actor, event: str, details: Details[R]
) -> None:
    """Delete `record`, its details kept in the audit trail."""
    audit.record(orm, event, now, actor, target=record, details=details(record))
    orm.delete(record)
    orm.flush()
