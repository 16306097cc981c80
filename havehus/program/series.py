"""Series edits: a change made from one session applies to it only, to it and the following
ones, or to all coming sessions (time, weekday, last day, or cancelling them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from havehus.config import Settings
from havehus.errors import HavehusError
from havehus.models import Session, SessionStatus
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.activities import check_version, flush_or_conflict, update_activity
from havehus.program.activity_data import activity_data
from havehus.program.repeat import DAY_CODES, join_rule, rule_parts
from havehus.program.results import ChangeSummary
from havehus.program.services import bump_program_version
from havehus.program.sessions import (
    cancel_session,
    check_reason,
    coming_sessions,
    mark_cancelled,
    minutes_between,
    move_session,
)

SCOPES = ("this", "following", "all")


@dataclass(frozen=True)
class SeriesChange:
    """One change to a series, seen from one of its sessions (the pivot)."""

    start_time: time | None = None
    end_time: time | None = None
    #: Move the pivot's weekday to this one (0 = Monday).
    weekday: int | None = None
    #: The series' new last day.
    until: date | None = None
    #: Cancel, with this reason.
    cancel_reason: str | None = None


def edit_series(
    orm: OrmSession,
    pivot: Session,
    scope: str,
    change: SeriesChange,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    horizon_weeks: int,
    expected_version: int | None = None,
    settings: Settings,
) -> ChangeSummary:
    """Apply a change to this session only, to this and the following ones, or to all."""
    if scope not in SCOPES:
        raise HavehusError(_("Choose which sessions the change is for."), "invalid_scope")
    if pivot.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    activity = pivot.activity
    local = pivot.starts_at.astimezone(tz)
    local_end = pivot.ends_at.astimezone(tz)
    if scope == "this":
        if change.until is not None:
            raise HavehusError(
                _("An end date applies to the series, not to one session."), "invalid_scope"
            )
        if change.cancel_reason is not None:
            return cancel_session(
                orm, pivot, change.cancel_reason, now, actor, tz=tz, settings=settings
            )
        day = local.date()
        if change.weekday is not None:
            day += timedelta(days=change.weekday - day.weekday())
        return move_session(
            orm,
            pivot,
            day,
            change.start_time or local.time(),
            change.end_time or local_end.time(),
            pivot.room_id,
            now,
            actor,
            tz=tz,
            expected_sequence=None,
            settings=settings,
        )
    if activity.rrule is None:
        raise HavehusError(_("This activity does not repeat."), "invalid_scope")
    check_version(activity, expected_version)
    if change.cancel_reason is not None:
        return _cancel_series(orm, pivot, scope, change.cancel_reason, now, actor, tz, settings)
    data = activity_data(activity)
    start = change.start_time or activity.start_time
    if change.start_time or change.end_time:
        end = change.end_time or local_end.time()
        data.start_time = start
        data.duration_minutes = minutes_between(start, end)
    parts = rule_parts(activity.rrule)
    if change.weekday is not None:
        parts["BYDAY"] = _replace_weekday(parts.get("BYDAY"), local.weekday(), change.weekday)
    if change.until is not None:
        parts.pop("COUNT", None)
        parts["UNTIL"] = f"{change.until:%Y%m%d}T235959"
    data.rrule = join_rule(parts)
    return update_activity(
        orm,
        activity,
        data,
        now,
        actor,
        expected_version=None,
        tz=tz,
        horizon_weeks=horizon_weeks,
        pivot=pivot if scope == "following" else None,
        settings=settings,
    )


def _replace_weekday(byday: str | None, old: int, new: int) -> str:
    if not byday:
        return DAY_CODES[new]
    tokens = []
    for token in byday.split(","):
        prefix, code = token[:-2], token[-2:]
        tokens.append(prefix + DAY_CODES[new] if code == DAY_CODES[old] else token)
    return ",".join(dict.fromkeys(tokens))


def sessions_to_cancel(orm: OrmSession, pivot: Session, scope: str, now: datetime) -> list[Session]:
    """What cancelling from the pivot cancels: the pivot alone ("this"), or the scheduled
    coming sessions from the pivot on ("following") or from now on ("all")."""
    if scope == "this":
        return [pivot]
    cutoff = pivot.starts_at if scope == "following" else now
    return [
        session
        for session in coming_sessions(orm, pivot.activity, now)
        if session.starts_at >= cutoff and session.status == SessionStatus.SCHEDULED
    ]


def _cancel_series(
    orm: OrmSession,
    pivot: Session,
    scope: str,
    reason: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    settings: Settings,
) -> ChangeSummary:
    """Cancel every coming session in scope and end the series before them."""
    reason = check_reason(reason)
    activity = pivot.activity
    assert activity.rrule is not None
    summary = ChangeSummary()
    for session in sessions_to_cancel(orm, pivot, scope, now):
        mark_cancelled(orm, session, reason, now, actor, tz, summary, settings)
    # The series ends with the last session there is: the cancelled rows stay visible
    # (struck through) and expansion creates nothing after them.
    parts = rule_parts(activity.rrule)
    parts.pop("COUNT", None)
    last = max((s.starts_at for s in activity.sessions), default=pivot.starts_at)
    until = last.astimezone(tz).date()
    parts["UNTIL"] = f"{until:%Y%m%d}T235959"
    activity.rrule = join_rule(parts)
    activity.updated_at = now
    flush_or_conflict(orm)
    audit.record(
        orm,
        "activity.cancel_series",
        now,
        actor,
        target=activity,
        details={"scope": scope, "cancelled": len(summary.cancelled), "reason": reason},
    )
    bump_program_version(orm, now)
    return summary
