"""Copying a week: the one-off sessions of one week, made again in another week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from havehus.models import Activity, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.conflicts import conflicts_for
from havehus.program.results import ChangeSummary, invalid
from havehus.program.services import bump_program_version, sessions_on_days
from havehus.program.sessions import new_session
from havehus.timeutil import local_to_utc


@dataclass(frozen=True)
class CopyItem:
    """One one-off session of the source week and where its copy would go."""

    source: Session
    starts_at: datetime
    ends_at: datetime
    exists: bool


def one_off_sessions(orm: OrmSession, monday: date, tz: ZoneInfo) -> list[Session]:
    """The scheduled sessions of a week that no repeat pattern creates (copied by copy_week)."""
    return list(
        orm.scalars(
            sessions_on_days(monday, monday + timedelta(days=6), tz)
            .where(
                Session.status == SessionStatus.SCHEDULED,
                or_(Session.occurrence_start.is_(None), Activity.rrule.is_(None)),
            )
            .order_by(Session.starts_at)
        )
    )


def copy_week_preview(
    orm: OrmSession, source_monday: date, target_monday: date, tz: ZoneInfo
) -> list[CopyItem]:
    """The one-off sessions of the source week, each with its time in the target week."""
    shift = target_monday - source_monday
    items = []
    for session in one_off_sessions(orm, source_monday, tz):
        start_local = session.starts_at.astimezone(tz)
        end_local = session.ends_at.astimezone(tz)
        # Wall-clock times are kept, so a copy across a DST change still starts at 10:00.
        starts_at = local_to_utc(start_local.date() + shift, start_local.time(), tz)
        ends_at = local_to_utc(end_local.date() + shift, end_local.time(), tz)
        exists = orm.scalar(
            select(func.count())
            .select_from(Session)
            .where(Session.activity_id == session.activity_id, Session.starts_at == starts_at)
        )
        items.append(CopyItem(session, starts_at, ends_at, bool(exists)))
    return items


def copy_week(
    orm: OrmSession,
    source_monday: date,
    target_monday: date,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> ChangeSummary:
    """Copy the one-off sessions of a week to another week (those already there are skipped)."""
    if source_monday == target_monday:
        raise invalid({"target": _("Choose another week than the one copied.")})
    if target_monday + timedelta(days=7) <= now.astimezone(tz).date():
        raise invalid({"target": _("The target week is in the past.")})
    summary = ChangeSummary()
    copies = []
    for item in copy_week_preview(orm, source_monday, target_monday, tz):
        if item.exists or item.starts_at <= now:
            continue
        copy = new_session(orm, item.source.activity, item.starts_at, item.ends_at, now)
        copy.room_id = item.source.room_id
        copy.location_id = item.source.location_id
        copy.capacity = item.source.capacity
        copy.note = dict(item.source.note or {})
        copy.hosts = list(item.source.hosts)
        copies.append(copy)
    orm.flush()
    summary.created = len(copies)
    summary.warnings = conflicts_for(orm, copies, tz)
    audit.record(
        orm,
        "program.copy_week",
        now,
        actor,
        details={
            "from": source_monday.isoformat(),
            "to": target_monday.isoformat(),
            "created": len(copies),
        },
    )
    bump_program_version(orm, now)
    return summary
