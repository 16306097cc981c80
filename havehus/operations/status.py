"""What an admin needs to know about the running system, and what warrants a banner."""

from __future__ import annotations

import platform
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from havehus.messaging import guards
from havehus.models import BackupRun, MessageStatus, OutboundMessage, WorkerHeartbeat
from havehus.operations.backup import migration_revisions
from havehus.operations.heartbeat import SILENT_AFTER, program_release
from havehus.orm import OrmSession

#: A banner when the newest good backup is older than this.
BACKUP_STALE_AFTER = timedelta(days=2)
#: Texts count as failing when, within this window, at least FAILING_AT_LEAST failed and
#: they were at least FAILING_SHARE of the texts that reached an outcome.
FAILING_WINDOW = timedelta(hours=24)
FAILING_AT_LEAST = 3
FAILING_SHARE = 0.2
#: A text's outcome (sent, failed, a delivery report) comes within this long after it was due.
OUTCOME_WITHIN = timedelta(days=2)
_FAILED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
_DONE = (MessageStatus.SENT, MessageStatus.DELIVERED, *_FAILED)


@dataclass(frozen=True)
class LastBackup:
    taken_at: datetime
    size_bytes: int | None
    path: str
    error: str | None


def last_good_backup(orm: OrmSession) -> LastBackup | None:
    row = orm.scalars(
        select(BackupRun)
        .where(BackupRun.finished_at.is_not(None), BackupRun.error.is_(None))
        .order_by(BackupRun.taken_at.desc(), BackupRun.id.desc())
        .limit(1)
    ).first()
    return LastBackup(row.taken_at, row.size_bytes, row.path, None) if row else None


def last_backup_attempt(orm: OrmSession) -> LastBackup | None:
    row = orm.scalars(
        select(BackupRun).order_by(BackupRun.taken_at.desc(), BackupRun.id.desc()).limit(1)
    ).first()
    return LastBackup(row.taken_at, row.size_bytes, row.path, row.error) if row else None


def failing_texts(orm: OrmSession, now: datetime) -> tuple[int, int]:
    """(failed, reached an outcome) among texts of the last FAILING_WINDOW."""
    moment = func.coalesce(
        OutboundMessage.status_updated_at, OutboundMessage.sent_at, OutboundMessage.send_after
    )
    rows = orm.execute(
        select(OutboundMessage.status, func.count())
        .where(
            OutboundMessage.status.in_(_DONE),
            # Served by the (status, send_after) index: a text due days before had its outcome
            # long ago; without it every staff page would read the whole outbox.
            OutboundMessage.send_after >= now - FAILING_WINDOW - OUTCOME_WITHIN,
            moment >= now - FAILING_WINDOW,
        )
        .group_by(OutboundMessage.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    failed = sum(counts.get(s, 0) for s in _FAILED)
    return failed, sum(counts.values())


@dataclass(frozen=True)
class Warnings:
    """What the staff banner says besides a silent worker."""

    #: The newest good backup is this old (None: recent enough, or no rule applies yet).
    backup_stale_since: datetime | None
    no_backup_yet: bool
    backup_failed: bool
    texts_failed: int

    @property
    def any(self) -> bool:
        return bool(
            self.backup_stale_since or self.no_backup_yet or self.backup_failed or self.texts_failed
        )


def warnings(orm: OrmSession, now: datetime) -> Warnings:
    """Backups older than 2 days (or none while a worker has run for 2 days), a failed last
    backup, texts failing — a few small queries, for every staff page of admins and managers."""
    good = last_good_backup(orm)
    attempt = last_backup_attempt(orm)
    stale = good.taken_at if good and now - good.taken_at > BACKUP_STALE_AFTER else None
    no_backup_yet = False
    if good is None:
        oldest = orm.scalar(select(func.min(WorkerHeartbeat.started_at)))
        no_backup_yet = oldest is not None and now - oldest > BACKUP_STALE_AFTER
    failed, done = failing_texts(orm, now)
    failing = failed >= FAILING_AT_LEAST and failed >= FAILING_SHARE * done
    return Warnings(
        backup_stale_since=stale,
        no_backup_yet=no_backup_yet,
        backup_failed=bool(attempt and attempt.error),
        texts_failed=failed if failing else 0,
    )


@dataclass(frozen=True)
class Worker:
    worker_id: str
    started_at: datetime
    beat_at: datetime
    version: str
    alive: bool


@dataclass(frozen=True)
class Backlog:
    due: int
    later: int
    claimed: int
    unknown: int
    failed_24h: int
    done_24h: int


@dataclass(frozen=True)
class SystemStatus:
    workers: list[Worker]
    backlog: Backlog
    budget: guards.Budget
    last_backup: LastBackup | None
    last_attempt: LastBackup | None
    database: str
    database_size: int | None
    release: str
    python: str
    schema: str | None
    schema_heads: list[str]
    #: Revisions of this program the database does not have yet (`havehus db upgrade`).
    pending_migrations: list[str]
    warnings: Warnings


def _database_size(orm: OrmSession) -> int | None:
    engine = orm.get_bind().engine
    if engine.dialect.name == "postgresql":
        return int(orm.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    files = [Path(database), Path(database + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


def _database_version(orm: OrmSession) -> str:
    engine = orm.get_bind().engine
    if engine.dialect.name == "postgresql":
        return str(orm.scalar(text("SHOW server_version")))
    return f"SQLite {sqlite3.sqlite_version}"


def _pending(current: str | None) -> list[str]:
    """The revisions from `current` up to the heads, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    from havehus.paths import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    try:
        revisions = list(script.iterate_revisions("heads", current or "base"))
    except RevisionError:  # an unknown revision (a newer program made the database)
        return []
    return [r.revision for r in reversed(revisions) if r.revision != current]


def system_status(
    orm: OrmSession, now: datetime, limits: guards.Limits, silent: timedelta = SILENT_AFTER
) -> SystemStatus:
    rows = orm.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc())).all()
    workers = [
        Worker(r.worker_id, r.started_at, r.beat_at, r.version, now - r.beat_at <= silent)
        for r in rows
    ]
    counts = dict(
        orm.execute(
            select(OutboundMessage.status, func.count())
            .where(
                OutboundMessage.status.in_(
                    [MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.UNKNOWN]
                )
            )
            .group_by(OutboundMessage.status)
        ).all()
    )
    due = orm.scalar(
        select(func.count()).where(
            OutboundMessage.status == MessageStatus.PENDING, OutboundMessage.send_after <= now
        )
    )
    failed, done = failing_texts(orm, now)
    backlog = Backlog(
        due=int(due or 0),
        later=int(counts.get(MessageStatus.PENDING, 0)) - int(due or 0),
        claimed=int(counts.get(MessageStatus.CLAIMED, 0)),
        unknown=int(counts.get(MessageStatus.UNKNOWN, 0)),
        failed_24h=failed,
        done_24h=done,
    )
    try:
        schema = orm.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError:  # a database made without the migrations (tests)
        orm.rollback()
        schema = None
    _known, heads = migration_revisions()
    return SystemStatus(
        workers=workers,
        backlog=backlog,
        budget=guards.budget(orm, now, limits),
        last_backup=last_good_backup(orm),
        last_attempt=last_backup_attempt(orm),
        database=_database_version(orm),
        database_size=_database_size(orm),
        release=program_release(),
        python=platform.python_version(),
        schema=schema,
        schema_heads=sorted(heads),
        pending_migrations=_pending(schema) if schema else [],
        warnings=warnings(orm, now),
    )
