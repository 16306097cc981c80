"""Conflicts the planner warns about: a room used twice at once, a host in two places."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from havehus.models import Activity, Session, SessionStatus
from havehus.orm import OrmSession
from havehus.program.hosts import effective_hosts
from havehus.program.results import Conflict
from havehus.program.services import sessions_on_days


def conflicts_for(orm: OrmSession, sessions: Sequence[Session], tz: ZoneInfo) -> list[Conflict]:
    """Room overlaps and double-booked hosts that involve any of these sessions."""
    mine = [s for s in sessions if s.status == SessionStatus.SCHEDULED]
    if not mine:
        return []
    first = min(s.starts_at for s in mine)
    last = max(s.ends_at for s in mine)
    others = list(
        orm.scalars(
            select(Session)
            .join(Session.activity)
            .where(
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_at < last,
                Session.ends_at > first,
                Activity.archived_at.is_(None),
            )
            .options(selectinload(Session.hosts), selectinload(Session.activity))
        )
    )
    found: list[Conflict] = []
    seen: set[tuple[str, int, int, int]] = set()
    for a in mine:
        for b in others:
            if b.id == a.id or not (a.starts_at < b.ends_at and b.starts_at < a.ends_at):
                continue
            low, high = (a, b) if a.id < b.id else (b, a)
            room_a, room_b = a.effective_room, b.effective_room
            if room_a is not None and room_b is not None and room_a.id == room_b.id:
                key = ("room", low.id, high.id, 0)
                if key not in seen:
                    seen.add(key)
                    found.append(Conflict("room", low, high))
            hosts_b = {h.id for h in effective_hosts(b)}
            for host in effective_hosts(a):
                key = ("host", low.id, high.id, host.id)
                if host.id in hosts_b and key not in seen:
                    seen.add(key)
                    found.append(Conflict("host", low, high, host))
    return found


def week_conflicts(orm: OrmSession, first: date, last: date, tz: ZoneInfo) -> list[Conflict]:
    """Every conflict among the scheduled sessions on local days first..last."""
    sessions = orm.scalars(
        sessions_on_days(first, last, tz).where(Session.status == SessionStatus.SCHEDULED)
    )
    return conflicts_for(orm, list(sessions), tz)
