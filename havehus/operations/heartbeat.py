"""Workers say they are alive; the web tells staff and monitoring when none has for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import delete, func, select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.models import WorkerHeartbeat
from havehus.orm import OrmSession

#: A worker beats every minute; after this long without a beat it counts as stopped.
SILENT_AFTER = timedelta(minutes=5)
#: Rows of workers gone this long are removed (every restart is a new worker id).
FORGET_AFTER = timedelta(days=7)


def silent_after(settings: Settings) -> timedelta:
    """How long without a beat counts as stopped: `worker_silent_after_seconds` (SILENT_AFTER
    by default; shorter in a drill or a test on one machine)."""
    return timedelta(seconds=settings.worker_silent_after_seconds)


def beat_interval(settings: Settings) -> timedelta:
    """How often a worker beats: every minute, or a fifth of a shorter silence."""
    return min(timedelta(minutes=1), max(timedelta(seconds=1), silent_after(settings) / 5))


def program_release() -> str:
    """The installed havehus version."""
    try:
        return version("havehus")
    except PackageNotFoundError:  # pragma: no cover - always installed, even editable
        return "unknown"


def beat(orm: OrmSession, worker_id: str, now: datetime, *, starting: bool = False) -> None:
    """Record that this worker is alive at `now` (one UPDATE; an INSERT the first time).

    Does not commit. `starting` resets the start time (a worker id reused after a restart).
    """
    values: dict[str, object] = {"beat_at": now, "version": program_release()}
    if starting:
        values["started_at"] = now
    updated = execute_rowcount(
        orm, update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id).values(values)
    )
    if not updated:
        insert_ignoring_conflicts(
            orm,
            WorkerHeartbeat,
            [
                {
                    "worker_id": worker_id,
                    "started_at": now,
                    "beat_at": now,
                    "version": program_release(),
                }
            ],
        )
    if starting:
        orm.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))


@dataclass(frozen=True)
class WorkerState:
    """What the workers' heartbeats say at `now`."""

    last_beat: datetime | None
    #: Workers that beat within `silent_after(settings)` (SILENT_AFTER by default).
    alive: int
    #: The worker that beat last.
    worker_id: str | None
    version: str | None

    @property
    def silent(self) -> bool:
        return self.alive == 0

    def age(self, now: datetime) -> timedelta | None:
        return None if self.last_beat is None else now - self.last_beat


def worker_state(orm: OrmSession, now: datetime, silent: timedelta = SILENT_AFTER) -> WorkerState:
    """The last beat of any worker and how many workers are alive (two small queries)."""
    last = orm.execute(
        select(WorkerHeartbeat.worker_id, WorkerHeartbeat.beat_at, WorkerHeartbeat.version)
        .order_by(WorkerHeartbeat.beat_at.desc())
        .limit(1)
    ).first()
    alive = orm.scalar(select(func.count()).where(WorkerHeartbeat.beat_at > now - silent))
    if last is None:
        return WorkerState(None, 0, None, None)
    return WorkerState(last.beat_at, int(alive or 0), last.worker_id, last.version)
