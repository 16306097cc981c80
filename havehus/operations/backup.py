"""Backups and restores of the whole database: one file, taken while web and worker write.

SQLite: the online backup API copies a consistent snapshot in one step (readers never block
writers in WAL mode); the copy is switched to a plain journal so it is one self-contained file.
PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore` into an emptied database.

Every backup first writes a `backup_run` row and commits it, so the copy holds its own time;
a restore reads that time (and the schema revision) from the file before it changes anything.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, func, select, update
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from havehus.config import Settings
from havehus.dbutil import insert_ignoring_conflicts
from havehus.messaging import optout_log
from havehus.models import (
    BackupRun,
    Booking,
    MessageStatus,
    OutboundMessage,
    Participant,
    ProgramVersion,
)
from havehus.orm import OrmSession
from havehus.paths import MIGRATIONS_DIR
from havehus.people import erasure_log
from havehus.program.services import bump_program_version
from havehus.signup.staff import erase_participant
from havehus.translations import overrides

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
#: pg_dump and pg_restore get this long before they count as hung.
PG_TOOL_TIMEOUT = 3600


class BackupError(Exception):
    """A backup or restore cannot be done; the message tells the operator why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    taken_at: datetime


# ---------------------------------------------------------------- databases and tools


def dialect_of(engine: Engine) -> str:
    return engine.dialect.name


def sqlite_file(engine: Engine) -> Path:
    """The SQLite database file of the engine (Flask-SQLAlchemy made a relative path absolute)."""
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def pg_tool(name: str, bindir: str) -> str:
    """The path of pg_dump or pg_restore: the configured folder, PATH, pg_config, Debian's."""
    if bindir:
        candidate = Path(bindir) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"{name} was not found in HAVEHUS_PG_BINDIR ({bindir}).")
    found = shutil.which(name)
    if found:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and os.access(Path(out) / name, os.X_OK):
            return str(Path(out) / name)
    debian = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return str(debian[-1])
    raise BackupError(
        f"{name} was not found. Install PostgreSQL's client programs of the server's version "
        "or set HAVEHUS_PG_BINDIR to the folder that holds them."
    )


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"{Path(args[0]).name} could not run: {exc}") from None
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


# ---------------------------------------------------------------- taking a backup


def take_backup(
    orm: OrmSession,
    output: Path,
    now: datetime,
    *,
    kind: str = "cli",
    nightly_key: str | None = None,
    pg_bindir: str = "",
) -> Backup | None:
    """Copy the whole database into `output`, safely while others write; commits.

    The `backup_run` row is committed first, so the copy knows when it was taken. With a
    `nightly_key` another worker may have taken that night's backup already: then None.
    """
    engine = orm.get_bind().engine
    output = output.resolve()
    inserted = _insert_run(
        orm, {"taken_at": now, "path": str(output), "kind": kind, "nightly_key": nightly_key}
    )
    orm.commit()
    if not inserted:
        return None
    run_id = inserted[0]
    partial = output.with_name(output.name + ".part")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if dialect_of(engine) == "sqlite":
            _sqlite_backup(sqlite_file(engine), partial)
        elif dialect_of(engine) == "postgresql":
            conninfo, env = _libpq(engine.url)
            _run_pg(
                [
                    pg_tool("pg_dump", pg_bindir),
                    "--format=custom",
                    f"--file={partial}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
        else:
            raise BackupError(f"Backups of {dialect_of(engine)} databases are not supported.")
        _fsync(partial)
        os.replace(partial, output)
    except (BackupError, OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        orm.execute(update(BackupRun).where(BackupRun.id == run_id).values(error=str(exc)[:2000]))
        orm.commit()
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"The backup failed: {exc}") from exc
    size = output.stat().st_size
    orm.execute(
        update(BackupRun).where(BackupRun.id == run_id).values(finished_at=now, size_bytes=size)
    )
    orm.commit()
    return Backup(output, size, now)


def _insert_run(orm: OrmSession, row: dict[str, object]) -> list[int]:
    """INSERT the backup's row unless its nightly key is taken; returns its id (or nothing)."""
    if orm.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(BackupRun).values(row).on_conflict_do_nothing().returning(BackupRun.id)
    return list(orm.scalars(statement).all())


def _sqlite_backup(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            # One step: a consistent snapshot; writers carry on meanwhile (WAL).
            src.backup(dst)
            # One self-contained file: no -wal beside the copy.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups the worker made in `folder`; returns those gone."""
    made = sorted(
        (p for p in folder.glob("havehus-*") if p.suffix in (".db", ".dump")),
        key=lambda p: p.name,
        reverse=True,
    )
    gone = made[keep:]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def backup_folder(setting: str, instance_path: str) -> Path | None:
    """The configured backup folder (relative: in the instance folder); None when not set."""
    if not setting:
        return None
    folder = Path(setting)
    return folder if folder.is_absolute() else Path(instance_path) / folder


def nightly_name(now: datetime, dialect: str) -> str:
    return f"havehus-{now.astimezone(UTC):%Y%m%d-%H%M%S}.{'db' if dialect == 'sqlite' else 'dump'}"


# ---------------------------------------------------------------- reading a backup


@dataclass(frozen=True)
class BackupFile:
    """What a backup file says about itself, read without restoring it."""

    path: Path
    dialect: str
    revision: str | None
    #: When the backup was taken (None for a copy made before backups recorded their time).
    taken_at: datetime | None
    run_id: int | None


def _as_utc(value: object) -> datetime | None:
    if value is None or value == "" or value == r"\N":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_backup(path: Path, pg_bindir: str = "") -> BackupFile:
    """The backup's kind, schema revision and time; refuses a file that is no backup."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return _read_sqlite_backup(path)
    if head.startswith(PG_DUMP_MAGIC):
        return _read_pg_backup(path, pg_bindir)
    raise BackupError(f"{path} is not a havehus backup (neither SQLite nor pg_dump's format).")


def _read_sqlite_backup(path: Path) -> BackupFile:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise BackupError(f"{path} is an SQLite file, but not a havehus database.")
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            run = None
            if "backup_run" in tables:
                run = connection.execute(
                    "SELECT id, taken_at FROM backup_run ORDER BY id DESC LIMIT 1"
                ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be read as a backup: {exc}") from None
    return BackupFile(
        path,
        "sqlite",
        revision[0] if revision else None,
        _as_utc(run[1]) if run else None,
        int(run[0]) if run else None,
    )


def _copy_rows(path: Path, table: str, pg_bindir: str) -> list[dict[str, str]]:
    """A table's rows as pg_restore writes them (COPY text), without restoring anything."""
    result = _run_pg(
        [
            pg_tool("pg_restore", pg_bindir),
            "--data-only",
            f"--table={table}",
            "--file=-",
            str(path),
        ],
        dict(os.environ),
    )
    rows: list[dict[str, str]] = []
    columns: list[str] | None = None
    for line in result.stdout.splitlines():
        if columns is None:
            if line.startswith("COPY ") and line.endswith("FROM stdin;"):
                inside = line[line.index("(") + 1 : line.rindex(")")]
                columns = [c.strip().strip('"') for c in inside.split(",")]
            continue
        if line == r"\.":
            break
        values = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        rows.append(dict(zip(columns, values, strict=False)))
    return rows


def _read_pg_backup(path: Path, pg_bindir: str) -> BackupFile:
    versions = _copy_rows(path, "alembic_version", pg_bindir)
    if not versions:
        raise BackupError(f"{path} is a pg_dump file, but not of a havehus database.")
    runs = _copy_rows(path, "backup_run", pg_bindir)
    last = max(runs, key=lambda r: int(r["id"])) if runs else None
    return BackupFile(
        path,
        "postgresql",
        versions[0]["version_num"],
        _as_utc(last["taken_at"]) if last else None,
        int(last["id"]) if last else None,
    )


# ---------------------------------------------------------------- checking before a restore


def migration_revisions() -> tuple[set[str], set[str]]:
    """Every schema revision this program knows, and its heads."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return {rev.revision for rev in script.walk_revisions()}, set(script.get_heads())


@dataclass(frozen=True)
class RestorePlan:
    backup: BackupFile
    #: Bookings in the current database made after the backup (None: unknown).
    bookings_since: int | None
    #: The backup's schema is older: it is migrated forward after the restore.
    migrates: bool


def plan_restore(orm: OrmSession, backup: BackupFile) -> RestorePlan:
    """Refuse what cannot be restored; say what a restore would lose."""
    dialect = dialect_of(orm.get_bind().engine)
    if backup.dialect != dialect:
        raise BackupError(
            f"{backup.path} is a {backup.dialect} backup; this installation runs {dialect}."
        )
    known, heads = migration_revisions()
    if backup.revision is None or backup.revision not in known:
        newest = ", ".join(sorted(heads))
        raise BackupError(
            f"{backup.path} was made by a newer version of havehus (schema "
            f"{backup.revision or 'unknown'}); this version knows up to {newest}. "
            "Install the version that made it (or newer), then restore."
        )
    bookings_since: int | None = None
    try:
        query = select(func.count(Booking.id))
        if backup.taken_at is not None:
            query = query.where(Booking.created_at > backup.taken_at)
        bookings_since = int(orm.scalar(query) or 0) if backup.taken_at is not None else None
        orm.rollback()
    except SQLAlchemyError:
        orm.rollback()  # no database yet (the disk died): nothing to lose
    return RestorePlan(backup, bookings_since, backup.revision not in heads)


def program_version_now(orm: OrmSession) -> int:
    """The current database's program version (0 when there is none yet)."""
    try:
        found = orm.scalar(select(ProgramVersion.version).where(ProgramVersion.id == 1))
    except SQLAlchemyError:
        orm.rollback()
        return 0
    orm.rollback()
    return int(found or 0)


# ---------------------------------------------------------------- restoring


def replace_database(engine: Engine, backup: BackupFile, pg_bindir: str = "") -> None:
    """Put the backup's contents in place of the database's. Nobody may be using it."""
    engine.dispose()
    if backup.dialect == "sqlite":
        target = sqlite_file(engine)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{backup.path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target, timeout=30)
            try:
                # Page by page into the live file (its -wal too): atomic for any reader.
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                dst.close()
        finally:
            src.close()
        return
    with engine.begin() as connection:
        existing = MetaData()
        existing.reflect(connection)
        existing.drop_all(connection)
    engine.dispose()
    conninfo, env = _libpq(engine.url)
    _run_pg(
        [
            pg_tool("pg_restore", pg_bindir),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(backup.path),
        ],
        env,
    )


@dataclass(frozen=True)
class AfterRestore:
    texts_to_reconcile: int
    opt_outs_reapplied: int
    program_version: int
    #: People erased after the backup, erased again (`people.erasure_log`).
    erasures_reapplied: int = 0


def after_restore(
    orm: OrmSession,
    backup: BackupFile,
    now: datetime,
    *,
    version_before: int,
    opt_out_entries: list[optout_log.Entry],
) -> AfterRestore:
    """Make the restored database safe to run: nothing sent twice, no opt-out lost, no stale
    cache. Does not commit.

    - Every text not known to be sent (pending, claimed, unknown) becomes `unknown`: the
      outbox looks each up at the provider before anything is sent, so a text that went out
      after the backup is recorded, not sent again.
    - STOPs and STARTs received after the backup are applied again from the opt-out log.
    - The program version moves past both the restored and the replaced database's, so no
      cache or ETag keyed on a version serves a page of before the restore.
    """
    texts = orm.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.status.in_(
                [MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.UNKNOWN]
            )
        )
        .values(
            status=MessageStatus.UNKNOWN,
            lease_until=None,
            claimed_by=None,
            last_error="restored from a backup: looked up at the provider before any send",
        )
        .execution_options(synchronize_session=False)
    )
    reconcile = int(getattr(texts, "rowcount", 0) or 0)
    reapplied = optout_log.reapply(orm, opt_out_entries)
    restored_version = int(
        orm.scalar(select(ProgramVersion.version).where(ProgramVersion.id == 1)) or 0
    )
    # Past both the restored and the replaced database's version, then one more: a cache that
    # saw any version of before the restore never matches the restored program.
    highest = max(version_before, restored_version)
    if restored_version:
        orm.execute(update(ProgramVersion).where(ProgramVersion.id == 1).values(version=highest))
    else:
        insert_ignoring_conflicts(
            orm, ProgramVersion, [{"id": 1, "version": highest, "changed_at": now}]
        )
    bump_program_version(orm, now)
    version = int(orm.scalar(select(ProgramVersion.version).where(ProgramVersion.id == 1)) or 0)
    if backup.run_id is not None:
        size = backup.path.stat().st_size
        orm.execute(
            update(BackupRun)
            .where(BackupRun.id == backup.run_id, BackupRun.finished_at.is_(None))
            .values(finished_at=BackupRun.taken_at, size_bytes=size)
        )
    return AfterRestore(reconcile, reapplied, version)


def restore(
    orm: OrmSession,
    plan: RestorePlan,
    now: datetime,
    *,
    opt_out_log: Path,
    pg_bindir: str = "",
    settings: Settings,
) -> AfterRestore:
    """Replace the database with the backup, migrate it forward, make it safe; commits.

    Needs an app context (the migrations run in it). Web and worker should be stopped.
    """
    from flask_migrate import upgrade

    from havehus.people import audit

    backup = plan.backup
    engine = orm.get_bind().engine
    version_before = program_version_now(orm)
    entries = optout_log.entries_since(opt_out_log, backup.taken_at, settings)
    erased = erasure_log.erased_since(erasure_log.log_path(settings), backup.taken_at)
    orm.close()
    replace_database(engine, backup, pg_bindir)
    if plan.migrates:
        upgrade()
    result = after_restore(orm, backup, now, version_before=version_before, opt_out_entries=entries)
    result = replace(result, erasures_reapplied=_erase_again(orm, erased, now, settings))
    # The translators' corrections in force are the restored database's decisions.
    overrides.write(orm, settings.instance_path)
    audit.record(
        orm,
        "backup.restored",
        now,
        audit.CLI,
        details={
            "file": str(backup.path),
            "taken_at": backup.taken_at.isoformat() if backup.taken_at else None,
            "schema": backup.revision,
            "bookings_lost": plan.bookings_since,
            "texts_to_reconcile": result.texts_to_reconcile,
            "opt_outs_reapplied": result.opt_outs_reapplied,
            "erasures_reapplied": result.erasures_reapplied,
        },
    )
    orm.commit()
    return result


def _erase_again(orm: OrmSession, public_ids: list[str], now: datetime, settings: Settings) -> int:
    """Erase again the people erased after the backup (still named in the restored database)."""
    from havehus.people import audit

    again = orm.scalars(
        select(Participant).where(
            Participant.public_id.in_(sorted(set(public_ids))), Participant.anonymised_at.is_(None)
        )
    ).all()
    for person in again:
        erase_participant(orm, person, now, audit.CLI, settings)
    return len(again)
