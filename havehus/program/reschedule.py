"""Rescheduling: the coming sessions follow an activity's new time or repeat pattern.

A session is paired with a new start on its own day, else in its own week, so that it keeps
its UID, bookings and hosts when it only moves in time. A session left without a start is
deleted when nobody takes part, otherwise cancelled with a notice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from havehus.config import Settings
from havehus.models import Activity, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.activity_data import ActivityData
from havehus.program.notices import house_text, queue_notices
from havehus.program.recurrence import (
    expand_activity,
    horizon_until,
    local_occurrences,
    parse_rule,
)
from havehus.program.repeat import join_rule, rule_parts
from havehus.program.results import ChangeSummary
from havehus.program.sessions import coming_sessions, mark_cancelled, sessions_with_participants
from havehus.timeutil import local_to_utc


def reschedule(
    orm: OrmSession,
    activity: Activity,
    clean: ActivityData,
    pivot: Session | None,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    horizon_weeks: int,
    settings: Settings,
) -> ChangeSummary:
    """Make the coming sessions (from the pivot, or all) follow the new time and pattern."""
    assert clean.starts_on is not None and clean.start_time is not None
    today = now.astimezone(tz).date()
    sessions = coming_sessions(orm, activity, now, series_only=True)
    if pivot is not None:
        cutoff_day = pivot.starts_at.astimezone(tz).date()
    else:
        started_today = any(
            s.starts_at.astimezone(tz).date() == today and s.starts_at <= now
            for s in activity.sessions
        )
        cutoff_day = today + timedelta(days=1) if started_today else today
    in_scope = [s for s in sessions if _occurrence_day(s, tz) >= cutoff_day]
    # The new pattern starts at the cutoff: earlier sessions stay as they are, and
    # expansion never fills days before it with the new pattern.
    old_rule, old_start = activity.rrule, activity.starts_on
    new_start = max(clean.starts_on, cutoff_day)
    rrule = clean.rrule
    if rrule and "COUNT" in rule_parts(rrule) and new_start > clean.starts_on:
        rrule = _remaining_count(rrule, old_rule, old_start, new_start, activity.start_time)
    activity.rrule = rrule
    activity.starts_on = new_start
    activity.start_time = clean.start_time
    activity.duration_minutes = clean.duration_minutes or activity.duration_minutes
    until = horizon_until(now, tz, horizon_weeks)
    wanted = [
        local
        for local in local_occurrences(activity, new_start, until)
        if local_to_utc(local.date(), local.time(), tz) > now
    ]
    pairs, unmatched_old = _match(in_scope, wanted, tz)
    keep = sessions_with_participants(orm, in_scope)
    summary = ChangeSummary()
    # Free the occurrence slots first, so that swapping two sessions never trips the
    # unique (activity, occurrence_start) constraint.
    for session in unmatched_old:
        if session.id in keep:
            session.occurrence_start = None
            if session.status == SessionStatus.SCHEDULED:
                reason = house_text(_l("The activity no longer takes place on this day."))
                mark_cancelled(orm, session, reason, now, actor, tz, summary, settings)
        else:
            orm.delete(session)
            summary.deleted += 1
    for session, _local in pairs:
        session.occurrence_start = None
    orm.flush()
    duration = timedelta(minutes=activity.duration_minutes)
    for session, local in pairs:
        starts_at = local_to_utc(local.date(), local.time(), tz)
        end_local = local + duration
        ends_at = local_to_utc(end_local.date(), end_local.time(), tz)
        session.occurrence_start = starts_at
        if (session.starts_at, session.ends_at) != (starts_at, ends_at):
            old_start_at = session.starts_at
            session.starts_at, session.ends_at = starts_at, ends_at
            session.sequence += 1
            session.updated_at = now
            summary.moved.append(session)
            if session.id in keep and session.status == SessionStatus.SCHEDULED:
                queue_notices(
                    orm,
                    session,
                    "moved",
                    now,
                    actor,
                    tz,
                    summary,
                    old_start=old_start_at,
                    settings=settings,
                )
    orm.flush()
    summary.created = expand_activity(orm, activity, until, now, tz)
    audit.record(
        orm,
        "activity.reschedule",
        now,
        actor,
        target=activity,
        details={
            "from": cutoff_day.isoformat(),
            "old_rule": old_rule or "",
            "old_start": old_start.isoformat(),
            "moved": len(summary.moved),
            "cancelled": len(summary.cancelled),
            "deleted": summary.deleted,
            "created": summary.created,
        },
    )
    return summary


def _remaining_count(
    rrule: str, old_rule: str | None, old_start: date, new_start: date, at: time
) -> str:
    """The rule with COUNT reduced by the old pattern's occurrences before new_start."""
    parts = rule_parts(rrule)
    before = 0
    if old_rule:
        rule = parse_rule(old_rule, old_start, at)
        window = (datetime.combine(old_start, time.min), datetime.combine(new_start, time.min))
        before = len(rule.between(*window))
    parts["COUNT"] = str(max(int(parts["COUNT"]) - before, 1))
    return join_rule(parts)


def _occurrence_day(session: Session, tz: ZoneInfo) -> date:
    return (session.occurrence_start or session.starts_at).astimezone(tz).date()


def _match(
    sessions: list[Session], wanted: list[datetime], tz: ZoneInfo
) -> tuple[list[tuple[Session, datetime]], list[Session]]:
    """Pair existing sessions with the new pattern's starts: same day first, then same week.

    Pairing keeps a session (its UID, bookings and hosts) when it only moves in time.
    """
    free = sorted(wanted)
    pairs: list[tuple[Session, datetime]] = []
    left: list[Session] = []
    for session in sorted(sessions, key=lambda s: s.occurrence_start or s.starts_at):
        day = _occurrence_day(session, tz)
        same_day = next((local for local in free if local.date() == day), None)
        if same_day is None:
            left.append(session)
            continue
        free.remove(same_day)
        pairs.append((session, same_day))
    unmatched = []
    for session in left:
        week = _occurrence_day(session, tz).isocalendar()[:2]
        same_week = next((local for local in free if local.date().isocalendar()[:2] == week), None)
        if same_week is None:
            unmatched.append(session)
            continue
        free.remove(same_week)
        pairs.append((session, same_week))
    return pairs, unmatched
