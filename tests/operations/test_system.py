"""/staff/system for admins, and the banner for old backups and failing texts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, text

from havehus.extensions import db
from havehus.models import BackupRun, OutboundMessage
from havehus.operations.heartbeat import beat
from tests.conftest import DEFAULT_NOW
from tests.staff_fixtures import sign_in

NOW = DEFAULT_NOW
STALE = "mere end 2 dage siden"  # Danish: staff pages are Danish by default
FAILING = "sms'er slog fejl det seneste døgn"
NEVER_BACKED_UP = "Der er endnu ikke taget nogen sikkerhedskopi."


def backup_at(moment, **fields) -> None:
    values = dict(taken_at=moment, path="/srv/backups/x.db", kind="nightly", finished_at=moment,
                  size_bytes=3 * 1048576)  # fmt: skip
    values.update(fields)
    db.session.add(BackupRun(**values))
    db.session.commit()


def failed_text(n: int, status: str = "failed") -> None:
    db.session.add(
        OutboundMessage(
            to_phone=f"+452099000{n}", language="da", body="x", kind="change",
            send_after=NOW - timedelta(hours=1), created_at=NOW - timedelta(hours=1),
            status=status, attempts=1,
        )
    )  # fmt: skip
    db.session.commit()


def test_admins_see_workers_texts_backups_database_and_versions(migrated_app, make_user):
    client = migrated_app.test_client()
    admin = make_user("admin")
    assert sign_in(client, admin.email).status_code == 302
    beat(db.session, "host-a:1", NOW - timedelta(minutes=1), starting=True)
    backup_at(NOW - timedelta(hours=3))
    failed_text(1)
    failed_text(2, "sent")
    page = client.get("/staff/system?lang=en").get_data(as_text=True)
    assert "host-a:1" in page
    assert "1 of 2" in page  # failed in the last 24 hours, of those with an outcome
    assert "3.0 MB" in page and "/srv/backups/x.db" in page
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.rollback()
    assert revision in page
    assert "Pending migrations</dt><dd>None" in page


def test_the_banner_warns_of_an_old_backup_and_failing_texts(client, signed_in):
    signed_in("manager")
    backup_at(NOW - timedelta(days=1))
    page = client.get("/staff/").get_data(as_text=True)
    assert STALE not in page and FAILING not in page

    db.session.execute(delete(BackupRun))
    backup_at(NOW - timedelta(days=2, hours=1))
    page = client.get("/staff/").get_data(as_text=True)
    assert STALE in page

    backup_at(NOW - timedelta(minutes=5))
    failed_text(1)
    failed_text(2)
    page = client.get("/staff/").get_data(as_text=True)
    assert STALE not in page and FAILING not in page  # two failures: a number, not a trend
    failed_text(3)
    page = client.get("/staff/").get_data(as_text=True)
    assert FAILING in page


def test_no_backup_is_a_warning_once_a_worker_has_run_for_two_days(client, signed_in):
    signed_in("manager")
    beat(db.session, "host-a:1", NOW - timedelta(days=1), starting=True)
    beat(db.session, "host-a:1", NOW)
    db.session.commit()
    assert NEVER_BACKED_UP not in client.get("/staff/").get_data(as_text=True)
    beat(db.session, "host-b:1", NOW - timedelta(days=3), starting=True)
    db.session.commit()
    assert NEVER_BACKED_UP in client.get("/staff/").get_data(as_text=True)


def test_a_failed_last_backup_is_a_warning(client, signed_in):
    signed_in("manager")
    backup_at(NOW - timedelta(hours=1))
    backup_at(NOW, finished_at=None, size_bytes=None, error="disk full")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Den seneste sikkerhedskopi slog fejl." in page


def test_pending_migrations_are_those_after_the_database_s_revision():
    from havehus.operations.backup import migration_revisions
    from havehus.operations.status import _pending

    heads = migration_revisions()[1]
    assert _pending("0008_attendance")[0] == "0009_staff_sessions"
    assert _pending("0008_attendance")[-1] in heads
    assert _pending(min(heads)) == []
    assert _pending("0099_from_a_newer_program") == []
