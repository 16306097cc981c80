"""Turning an activity's RRULE into concrete sessions, in the house's time zone."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from flask_babel import gettext as _
from sqlalchemy import select

from havehus.dbutil import insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.i18n import pick
from havehus.models import Activity, Closure, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.program.rule_limits import (
    MAX_HORIZON_DAYS,
    check_rule_parts,
    check_session_count,
    split_rule,
)
from havehus.timeutil import local_to_utc


def horizon_until(now: datetime, tz: ZoneInfo, weeks: int) -> date:
    """The last local day sessions are created for: the Sunday of the horizon's last week."""
    day = now.astimezone(tz).date() + timedelta(weeks=weeks)
    return day + timedelta(days=6 - day.weekday())


def parse_rule(text: str, starts_on: date, start_time: time) -> rrule:
    """Parse an RFC 5545 RRULE (with or without the "RRULE:" prefix) anchored at the start.

    Only a rule within the limits of rule_limits is handed to dateutil, so that walking it
    is bounded (HavehusError "invalid_rrule" with the reason otherwise).
    """
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or "\n" in body:
        raise HavehusError(_("The repeat rule is empty or not a single rule."), "invalid_rrule")
    parts = split_rule(body)
    check_rule_parts(parts, starts_on)
    # dateutil reads exactly the parts that were checked.
    body = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        rule = rrulestr(body, dtstart=datetime.combine(starts_on, start_time))
    except (ValueError, TypeError) as exc:
        message = _("The repeat rule is not valid: %(error)s", error=exc)
        raise HavehusError(message, "invalid_rrule") from None
    if not isinstance(rule, rrule):
        raise HavehusError(_("The repeat rule is not a single rule."), "invalid_rrule")
    return rule


def check_stored_rule(activity: Activity) -> None:
    """HavehusError "invalid_rrule" when a stored rule is beyond today's limits (one saved
    before them): the horizon job then leaves the activity until a planner fixes the rule."""
    if activity.rrule is not None:
        rule = parse_rule(activity.rrule, activity.starts_on, activity.start_time)
        check_session_count(rule, activity.starts_on)


def local_occurrences(activity: Activity, first: date, last: date) -> list[datetime]:
    """Naive local start times of the activity's occurrences on days first..last inclusive."""
    if activity.rrule is None:
        start = datetime.combine(activity.starts_on, activity.start_time)
        return [start] if first <= start.date() <= last else []
    rule = parse_rule(activity.rrule, activity.starts_on, activity.start_time)
    window_start = datetime.combine(max(first, activity.starts_on), time.min)
    window_end = datetime.combine(last, time.max)
    return list(rule.between(window_start, window_end, inc=True))


def _closure_reason(closures: Iterable[Closure], day: date, activity: Activity) -> str | None:
    for closure in closures:
        if closure.covers(day, activity.location_id):
            return pick(closure.reason, "da") or "closed"
    return None


def expand_activity(
    orm: OrmSession, activity: Activity, until: date, now: datetime, tz: ZoneInfo
) -> int:
    """Create the activity's missing sessions up to `until` (local date); returns how many.

    Idempotent, and safe when two processes expand at once: occurrences are unique per
    activity and start, and conflicting inserts are skipped by the database.
    """
    if activity.archived_at is not None:
        return 0
    until = min(until, now.astimezone(tz).date() + timedelta(days=MAX_HORIZON_DAYS))
    existing = set(
        orm.scalars(
            select(Session.occurrence_start).where(
                Session.activity_id == activity.id, Session.occurrence_start.is_not(None)
            )
        )
    )
    closures = list(orm.scalars(select(Closure).where(Closure.ends_on >= activity.starts_on)))
    duration = timedelta(minutes=activity.duration_minutes)
    rows = []
    for local_start in local_occurrences(activity, activity.starts_on, until):
        starts_at = local_to_utc(local_start.date(), local_start.time(), tz)
        if starts_at in existing:
            continue
        # The end is a wall-clock time too: a 10:00–12:00 session stays so on a DST day.
        ends_local = local_start + duration
        reason = _closure_reason(closures, local_start.date(), activity)
        rows.append(
            {
                "activity_id": activity.id,
                "uid": f"{uuid.uuid4()}@havehus",
                "occurrence_start": starts_at,
                "starts_at": starts_at,
                "ends_at": local_to_utc(ends_local.date(), ends_local.time(), tz),
                "status": SessionStatus.CANCELLED if reason else SessionStatus.SCHEDULED,
                "cancel_reason": reason,
                "sequence": 0,
                "seats_taken": 0,
                "note": {},
                "created_at": now,
                "updated_at": now,
            }
        )
    return insert_ignoring_conflicts(orm, Session, rows)
