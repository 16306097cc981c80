"""Closures: the house (or one location) is closed on some days, and their sessions cancelled.

One rule says what a closure may be (check_closure); the preview and the save both use it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, delete, or_, select

from havehus.config import Settings
from havehus.models import Activity, Closure, Location, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.results import ChangeSummary, invalid
from havehus.program.services import bump_program_version, sessions_on_days
from havehus.program.sessions import mark_cancelled

#: The most days a closure's last day may lie after its first (about three months).
MAX_CLOSURE_DAYS = 92


def check_closure(
    orm: OrmSession,
    starts_on: date | None,
    ends_on: date | None,
    reason: str,
    location_id: int | None,
) -> str:
    """The closure's reason, trimmed; HavehusError "invalid" when a field breaks the rule."""
    errors: dict[str, str] = {}
    if starts_on is None:
        errors["starts_on"] = _("Choose the first closed day.")
    if ends_on is None:
        errors["ends_on"] = _("Choose the last closed day.")
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = _("The last day is before the first day.")
        elif (ends_on - starts_on).days > MAX_CLOSURE_DAYS:
            errors["ends_on"] = _("A closure may last at most three months.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why, e.g. Christmas or summer break.")
    elif len(reason) > 200:
        errors["reason"] = _("At most 200 characters.")
    if location_id is not None and orm.get(Location, location_id) is None:
        errors["location_id"] = _("Unknown location.")
    if errors:
        raise invalid(errors)
    return reason


def closure_sessions(
    orm: OrmSession, starts_on: date, ends_on: date, location_id: int | None, tz: ZoneInfo
) -> list[Session]:
    """The scheduled sessions on these days (and at this location), in start order."""
    query = (
        sessions_on_days(starts_on, ends_on, tz)
        .where(Session.status == SessionStatus.SCHEDULED)
        .order_by(Session.starts_at)
    )
    if location_id is not None:
        query = query.where(
            or_(
                Session.location_id == location_id,
                (Session.location_id.is_(None)) & (Activity.location_id == location_id),
            )
        )
    return list(orm.scalars(query))


def preview_closure(
    orm: OrmSession,
    starts_on: date,
    ends_on: date,
    reason: str,
    location_id: int | None,
    *,
    tz: ZoneInfo,
) -> list[Session]:
    """The sessions a closure would cancel; refused by the same rule as create_closure."""
    check_closure(orm, starts_on, ends_on, reason, location_id)
    return closure_sessions(orm, starts_on, ends_on, location_id, tz)


def create_closure(
    orm: OrmSession,
    starts_on: date,
    ends_on: date,
    reason: str,
    location_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    settings: Settings,
) -> tuple[Closure, ChangeSummary]:
    """Close the house (or one location) on these days and cancel the sessions in them."""
    reason = check_closure(orm, starts_on, ends_on, reason, location_id)
    closure = Closure(
        location_id=location_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason={"da": reason},
        created_by_id=actor.user_id,
        created_at=now,
    )
    orm.add(closure)
    summary = ChangeSummary()
    for session in closure_sessions(orm, starts_on, ends_on, location_id, tz):
        if session.starts_at > now:
            mark_cancelled(orm, session, reason, now, actor, tz, summary, settings)
    orm.flush()
    audit.record(
        orm,
        "closure.create",
        now,
        actor,
        target=closure,
        details={
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
            "reason": reason,
            "cancelled": len(summary.cancelled),
        },
    )
    bump_program_version(orm, now)
    return closure, summary


def delete_closure(orm: OrmSession, closure: Closure, now: datetime, actor: Actor) -> None:
    """Remove a closure; sessions it cancelled stay cancelled (reinstate them one by one)."""
    audit.record(
        orm,
        "closure.delete",
        now,
        actor,
        target=closure,
        details={"from": closure.starts_on.isoformat(), "to": closure.ends_on.isoformat()},
    )
    orm.execute(delete(Closure).where(Closure.id == closure.id))
    bump_program_version(orm, now)


def closures_between(orm: OrmSession, first: date, last: date) -> list[Closure]:
    """The closures that touch days first..last."""
    return list(
        orm.scalars(select(Closure).where(Closure.starts_on <= last, Closure.ends_on >= first))
    )


def coming_closures(today: date) -> Select[Any]:
    """The query for closures not yet over, first first (for a paged list)."""
    return select(Closure).where(Closure.ends_on >= today).order_by(Closure.starts_on)
