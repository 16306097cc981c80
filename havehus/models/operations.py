"""What the operator needs to see: workers' heartbeats and the backups taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from havehus.extensions import Model
from havehus.orm import UTCDateTime


class WorkerHeartbeat(Model):
    """One row per worker process, refreshed every minute while it runs."""

    __tablename__ = "worker_heartbeat"

    #: "host:pid", as the worker claims texts under.
    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: The havehus version the worker runs.
    version: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.worker_id} {self.beat_at}>"


class BackupRun(Model):
    """A backup: written before the copy is taken, so the copy knows its own time."""

    __tablename__ = "backup_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    path: Mapped[str] = mapped_column(Text)
    #: "cli" or "nightly".
    kind: Mapped[str] = mapped_column(String(10))
    #: The local date of a nightly backup: two workers never both take the night's backup.
    nightly_key: Mapped[str | None] = mapped_column(String(10), unique=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size_bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<BackupRun {self.id} {self.taken_at}>"
