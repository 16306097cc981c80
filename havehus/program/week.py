"""The planner's week: every session of seven days, with the closures, conflicts and holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from havehus.models import Activity, Closure, Session
from havehus.orm import OrmSession
from havehus.program.calendar_info import InfoDay, danish_holidays, islamic_dates
from havehus.program.closures import closures_between
from havehus.program.conflicts import week_conflicts
from havehus.program.hosts import effective_hosts
from havehus.program.results import Conflict
from havehus.program.services import sessions_on_days


@dataclass
class PlannerDay:
    day: date
    sessions: list[Session]


@dataclass
class PlannerWeek:
    """What the planner's week page shows besides the sessions."""

    days: list[PlannerDay]
    closures: list[Closure]
    conflicts: list[Conflict]
    holidays: list[InfoDay]
    islamic: list[InfoDay]


def planner_week(
    orm: OrmSession,
    monday: date,
    tz: ZoneInfo,
    *,
    room_id: int | None = None,
    category: str | None = None,
    host_id: int | None = None,
) -> list[PlannerDay]:
    """Every session of the week (all visibilities, cancelled ones too), by local day."""
    query = (
        sessions_on_days(monday, monday + timedelta(days=6), tz)
        .options(
            selectinload(Session.hosts),
            selectinload(Session.activity).selectinload(Activity.hosts),
            selectinload(Session.activity).selectinload(Activity.room),
            selectinload(Session.room),
        )
        .order_by(Session.starts_at, Activity.slug)
    )
    if category:
        query = query.where(Activity.category == category)
    if room_id:
        query = query.where(
            or_(
                Session.room_id == room_id,
                (Session.room_id.is_(None)) & (Activity.room_id == room_id),
            )
        )
    sessions = list(orm.scalars(query))
    if host_id:
        sessions = [s for s in sessions if host_id in {h.id for h in effective_hosts(s)}]
    days = [PlannerDay(monday + timedelta(days=i), []) for i in range(7)]
    for session in sessions:
        days[session.starts_at.astimezone(tz).date().weekday()].sessions.append(session)
    return days


def planner_week_page(
    orm: OrmSession,
    monday: date,
    tz: ZoneInfo,
    *,
    room_id: int | None = None,
    category: str | None = None,
    host_id: int | None = None,
) -> PlannerWeek:
    """The week's sessions (filtered), and its closures, conflicts and holidays (unfiltered)."""
    sunday = monday + timedelta(days=6)
    return PlannerWeek(
        days=planner_week(orm, monday, tz, room_id=room_id, category=category, host_id=host_id),
        closures=closures_between(orm, monday, sunday),
        conflicts=week_conflicts(orm, monday, sunday, tz),
        holidays=danish_holidays(monday, sunday),
        islamic=islamic_dates(monday, sunday),
    )
