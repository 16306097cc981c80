"""havehus backup and restore: a consistent copy under writes, and a restore that loses
nothing it must not (texts, opt-outs, caches) — on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text, update

from havehus import maintenance
from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.models import (
    Activity,
    AuditEvent,
    BackupRun,
    Booking,
    Location,
    OptOut,
    Participant,
    ProgramVersion,
    Session,
)
from havehus.operations.backup import migration_revisions, pg_tool
from havehus.people.audit import CLI
from havehus.program.services import bump_program_version
from havehus.signup.services import book
from tests.conftest import DEFAULT_NOW, build_app
from tests.factories import add_participant
from tests.operations.conftest import pg_overrides
from tests.test_migrations import _insert

NOW = DEFAULT_NOW
START = NOW + timedelta(days=3)


def invoke(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def house(make_activity, make_session) -> Session:
    activity = make_activity(mode="signup", capacity=10, slug="sammen-om-maden")
    session = make_session(activity, START)
    person = add_participant("Amina", at=NOW - timedelta(days=30))
    book(
        db.session,
        session,
        person,
        NOW - timedelta(days=1),
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    bump_program_version(db.session, NOW)
    db.session.commit()
    return session


def snapshot() -> dict[str, list[tuple]]:
    """The rows of the tables a restore must bring back exactly."""
    tables = {
        "activity": select(Activity.id, Activity.slug, Activity.title),
        "session": select(Session.id, Session.starts_at, Session.status, Session.seats_taken),
        "booking": select(Booking.id, Booking.session_id, Booking.participant_id, Booking.status),
        "participant": select(Participant.id, Participant.display_name, Participant.phone),
        "opt_out": select(OptOut.phone_hash),
    }
    rows = {
        name: sorted(map(tuple, db.session.execute(q).all()), key=repr)
        for name, q in tables.items()
    }
    db.session.rollback()
    return rows


def test_backup_under_writes_then_change_restore_and_compare(
    migrated_app, make_activity, make_session, clock, tmp_path
):
    session = house(make_activity, make_session)
    before = snapshot()
    version_before_backup = db.session.scalar(select(ProgramVersion.version))
    db.session.rollback()  # the test reads in deferred transactions: end each before others write

    # A writer commits pairs of rows all along: a consistent copy holds whole pairs only.
    stop = threading.Event()
    written = []

    def write_pairs() -> None:
        with migrated_app.app_context():
            n = 0
            while not stop.is_set():
                n += 1
                row = dict(
                    at=NOW, actor_kind="cli", action="test.pair", target_id=str(n), details={}
                )
                with db.engine.begin() as connection:
                    connection.execute(insert(AuditEvent), [row, row])
                written.append(n)
            db.session.remove()

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)  # not Event.wait: under libfaketime its timed wait never ends
        target = tmp_path / "copy" / "havehus.backup"
        result = invoke(migrated_app, "backup", "--output", str(target))
        during = len(written)
        while len(written) < during + 20:
            time.sleep(0.01)  # not Event.wait: under libfaketime its timed wait never ends
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target.resolve())
    assert target.stat().st_size > 0 and not list(target.parent.glob("*.part"))
    run = db.session.scalars(select(BackupRun)).one()
    assert run.finished_at == NOW and run.size_bytes == target.stat().st_size
    db.session.rollback()

    # Later that day: a booking, a new title, the program version moves on.
    clock.advance(timedelta(hours=2))
    someone = add_participant("Bo", at=clock.now)
    book(db.session, db.session.get(Session, session.id), someone, clock.now, CLI, source="staff",
         notify=False, settings=current_settings())  # fmt: skip
    db.session.execute(update(Activity).values(title={"da": "Nyt navn"}))
    bump_program_version(db.session, clock.now)
    db.session.commit()
    version_before_restore = db.session.scalar(select(ProgramVersion.version))
    assert snapshot() != before

    # Without --yes: it says what would be lost and changes nothing.
    refused = invoke(migrated_app, "restore", str(target))
    assert refused.exit_code == 1
    assert "1 booking(s) made after the backup" in refused.output
    assert "Run again with --yes" in refused.output
    assert db.session.scalar(select(func.count(Booking.id))) == 2
    db.session.rollback()

    restored = invoke(migrated_app, "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored." in restored.output
    # Meanwhile the web was in maintenance and the workers waited; not any more.
    assert "The web is in maintenance and the workers wait" in restored.output
    assert maintenance.current(migrated_app.instance_path) is None
    assert snapshot() == before
    pairs = db.session.execute(
        select(AuditEvent.target_id, func.count())
        .where(AuditEvent.action == "test.pair")
        .group_by(AuditEvent.target_id)
    ).all()
    assert len(pairs) >= 20 and all(count == 2 for _n, count in pairs)
    # Past every version any cache saw, before and after the backup.
    version = db.session.scalar(select(ProgramVersion.version))
    assert version > version_before_restore > version_before_backup
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "backup.restored")
    ).one()
    assert event.details["bookings_lost"] == 1


def test_a_backup_of_a_newer_schema_is_refused(migrated_app, tmp_path):
    target = tmp_path / "newer.backup"
    db.session.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    db.session.commit()
    assert invoke(migrated_app, "backup", "--output", str(target)).exit_code == 0
    _, heads = migration_revisions()
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": min(heads)})
    db.session.commit()

    result = invoke(migrated_app, "restore", str(target), "--yes")
    assert result.exit_code == 1
    assert "newer version of havehus" in result.output
    assert "Traceback" not in result.output
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert revision in heads  # untouched


def test_a_file_that_is_no_backup_is_refused(migrated_app, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = invoke(migrated_app, "restore", str(junk), "--yes")
    assert result.exit_code == 1
    assert "is not a havehus backup" in result.output
    missing = invoke(migrated_app, "restore", str(tmp_path / "nothing.db"), "--yes")
    assert missing.exit_code == 1 and "Cannot read" in missing.output


def test_an_older_backup_is_migrated_forward(database_url, clock, request, tmp_path):
    """A copy of a database of an earlier release (schema 0009) comes back at today's schema."""
    overrides = pg_overrides(database_url, request)
    old = tmp_path / "old.backup"
    app = build_app(database_url, clock, **overrides)
    with app.app_context():
        upgrade(revision="0009_staff_sessions")
        # The table as that release had it: every required column gets a plain value.
        _insert(db.session.connection(), "location", slug="gammel", name="Gammel", address="Vej 1")
        db.session.commit()
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
    if url.drivername.startswith("sqlite"):
        shutil.copy(url.database, old)
    else:
        import subprocess

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(
            [pg_tool("pg_dump", overrides["pg_bindir"]), "-Fc", f"--file={old}", conninfo],
            check=True,
        )
    with app.app_context():
        upgrade()  # the live database is today's
        result = invoke(app, "restore", str(old), "--yes")
        assert result.exit_code == 0, result.output
        assert "does not say when it was taken" in result.output
        assert "migrated forward" in result.output
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert revision in migration_revisions()[1]
        assert db.session.scalar(select(Location.slug)) == "gammel"
        assert db.session.scalar(select(func.count(BackupRun.id))) == 0
        db.session.remove()
        db.engine.dispose()


def test_a_sqlite_backup_is_one_file(sqlite_migrated_app, tmp_path):
    # The backup is switched out of WAL: it needs no -wal file beside it to be complete.
    app = sqlite_migrated_app
    target = tmp_path / "one.db"
    assert invoke(app, "backup", "--output", str(target)).exit_code == 0
    connection = sqlite3.connect(target)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


def test_backup_failing_is_said_and_recorded(migrated_app, tmp_path):
    (tmp_path / "a-file").write_text("")
    result = invoke(migrated_app, "backup", "--output", str(tmp_path / "a-file" / "x.db"))
    assert result.exit_code == 1
    assert "Error: The backup failed" in result.output
    assert db.session.scalars(select(BackupRun)).one().error


def test_backup_without_output_goes_to_the_backup_folder(sqlite_migrated_app):
    result = invoke(sqlite_migrated_app, "backup")
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == Path(sqlite_migrated_app.instance_path) / "backups"
    assert path.name == "havehus-20261202-110000.db" and path.exists()


def test_the_worker_backs_up_once_a_night_and_keeps_the_newest(sqlite_migrated_app):
    from havehus import worker

    app = sqlite_migrated_app
    change_settings(app, backup_keep=2)
    folder = Path(app.instance_path) / "backups"
    first = worker.nightly_backup(app, NOW)
    assert first["backups_taken"] == 1 and first["backup_bytes"] > 0
    # A second worker the same night finds it taken.
    assert worker.nightly_backup(app, NOW + timedelta(minutes=1)) == {"backups_taken": 0}
    for night in (1, 2):
        worker.nightly_backup(app, NOW + timedelta(days=night))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["havehus-20261203-110000.db", "havehus-20261204-110000.db"]
    runs = db.session.scalars(select(BackupRun).order_by(BackupRun.id)).all()
    assert [r.kind for r in runs] == ["nightly"] * 3
    assert all(r.finished_at and r.size_bytes for r in runs)


def test_no_backup_folder_no_nightly_backup(sqlite_migrated_app):
    from havehus import worker

    change_settings(sqlite_migrated_app, backup_dir="")
    assert worker.nightly_backup(sqlite_migrated_app, NOW) == {"backups_taken": 0}
    assert db.session.scalars(select(BackupRun)).all() == []
