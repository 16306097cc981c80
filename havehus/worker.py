"""The worker process: APScheduler runs short, idempotent jobs against the database."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from havehus import maintenance
from havehus.config import settings_of
from havehus.extensions import db
from havehus.messaging.gateway import Gateway, gateway_for
from havehus.messaging.outbox import process_due
from havehus.messaging.quiet import QuietHours, parse_clock
from havehus.operations import backup
from havehus.operations.heartbeat import beat, beat_interval
from havehus.people import retention
from havehus.program.services import expand_horizon
from havehus.signup.reminders import queue_reminders, release_moved_reminders
from havehus.signup.seats import expire_offers
from havehus.timeutil import house_tz, utcnow

log = logging.getLogger("havehus.worker")

OUTBOX_INTERVAL_SECONDS = 20


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def quiet_hours(app: Flask) -> QuietHours:
    settings = settings_of(app)
    return QuietHours(
        start=parse_clock(settings.quiet_start),
        end=parse_clock(settings.quiet_end),
        tz=settings.tz,
    )


def _gateway(app: Flask) -> Gateway:
    """The app's gateway, built once: one Twilio client and HTTP connection pool per process."""
    gateway: Gateway | None = app.extensions.get("havehus_sms_gateway")
    if gateway is None:
        gateway = app.extensions["havehus_sms_gateway"] = gateway_for(settings_of(app))
    return gateway


def send_due_messages(app: Flask, now: datetime) -> dict[str, int]:
    """Reconcile texts whose outcome was lost, then send the texts due at `now`."""
    with app.app_context():
        run = process_due(
            db.session,
            _gateway(app),
            now,
            worker_id(),
            settings_of(app).outbox_lease_seconds,
            settings=settings_of(app),
            quiet=quiet_hours(app),
        )
        return {
            "sent": len(run.sent),
            "failed": len(run.failed),
            "skipped": len(run.skipped),
            "retrying": len(run.retrying),
            "unknown": len(run.unknown),
            "postponed": len(run.postponed),
            "reconciled": len(run.reconciled),
            "requeued": len(run.requeued),
            "unresolved": run.unresolved,
            "expired": run.expired,
            "lease_lost": run.lease_lost,
        }


def queue_due_reminders(app: Flask, now: datetime) -> dict[str, int]:
    """Put the reminders due at `now` in the outbox."""
    quiet = quiet_hours(app)
    with app.app_context():
        # Reminders of moved sessions first: freed, they are queued again for the new time.
        moved = release_moved_reminders(db.session)
        queued = queue_reminders(
            db.session,
            now,
            quiet_start=quiet.start,
            quiet_end=quiet.end,
            tz=quiet.tz,
            settings=settings_of(app),
        )
        db.session.commit()
        return {"reminders_queued": queued, "reminders_of_moved_sessions": moved}


def extend_horizon(app: Flask, now: datetime) -> dict[str, int]:
    """Keep recurring activities expanded to the configured number of weeks ahead."""
    with app.app_context():
        created = expand_horizon(db.session, settings_of(app).horizon_weeks, now, house_tz())
        db.session.commit()
        return {"sessions_created": created}


def pass_on_expired_offers(app: Flask, now: datetime) -> dict[str, int]:
    """Seats held for someone who did not answer in time go to the next on the waiting list."""

    with app.app_context():
        expired = expire_offers(db.session, now, settings_of(app))
        db.session.commit()
        return {"offers_expired": expired}


def apply_retention(app: Flask, now: datetime) -> dict[str, int]:
    """Erase what the privacy page says is erased, when it says so."""
    with app.app_context():
        run = retention.apply_retention(
            db.session, now, retention.Periods.from_settings(settings_of(app))
        )
        db.session.commit()
        return asdict(run)


def nightly_backup(app: Flask, now: datetime) -> dict[str, int]:
    """Back the database up into the backup folder, once a night whatever the number of
    workers, and delete all but the newest `backup_keep` backups there."""
    with app.app_context():
        folder = backup.backup_folder(settings_of(app).backup_dir, app.instance_path)
        if folder is None:
            return {"backups_taken": 0}
        night = now.astimezone(house_tz()).date().isoformat()
        target = folder / backup.nightly_name(now, db.engine.dialect.name)
        try:
            made = backup.take_backup(
                db.session,
                target,
                now,
                kind="nightly",
                nightly_key=night,
                pg_bindir=settings_of(app).pg_bindir,
            )
        except backup.BackupError as exc:
            log.error("Nightly backup failed: %s", exc)
            return {"backups_taken": 0, "backups_failed": 1}
        if made is None:  # another worker took tonight's
            return {"backups_taken": 0}
        gone = backup.prune_backups(folder, int(settings_of(app).backup_keep))
        log.info(
            "Nightly backup %s (%d bytes); %d older removed", made.path, made.size_bytes, len(gone)
        )
        return {"backups_taken": 1, "backup_bytes": made.size_bytes, "backups_removed": len(gone)}


def in_maintenance(app: Flask) -> bool:
    """True while the web is in maintenance (`havehus maintenance on`, a restore running): the
    database may be being replaced, so the worker sends nothing and touches nothing."""
    return maintenance.current(app.instance_path) is not None


def heartbeat(app: Flask, *, starting: bool = False) -> None:
    """Tell the web this worker is alive, at the real time (never `--at`'s)."""
    if in_maintenance(app):
        return
    with app.app_context():
        beat(db.session, worker_id(), utcnow(), starting=starting)
        db.session.commit()


JOBS: dict[str, Callable[[Flask, datetime], dict[str, int]]] = {
    # Offers first: a seat passed on queues its text, which the outbox then sends.
    "pass_on_expired_offers": pass_on_expired_offers,
    # Reminders before the outbox, so `worker --once --at` queues and sends them in one run.
    "queue_reminders": queue_due_reminders,
    "send_due_messages": send_due_messages,
    "extend_horizon": extend_horizon,
    "apply_retention": apply_retention,
}


#: Jobs that take something from someone — a seat held for them, their data — never run ahead
#: of the clock: `--at` tomorrow sends tomorrow's reminders now; it does not erase tomorrow's
#: data or give away a seat that is still held today.
NEVER_AHEAD = frozenset({"pass_on_expired_offers", "apply_retention"})


def run_once(app: Flask, at: datetime | None = None) -> dict[str, dict[str, int]]:
    """Run every job once as if it were `at` (default: now) and return what each did; nothing
    in maintenance."""
    if in_maintenance(app):
        log.warning("In maintenance: no job runs")
        return {}
    heartbeat(app)
    with app.app_context():
        real = utcnow()
    now = at or real
    return {
        name: job(app, min(now, real) if name in NEVER_AHEAD else now) for name, job in JOBS.items()
    }


def run_forever(app: Flask) -> None:
    """Block, running the jobs on their schedules until SIGINT/SIGTERM."""
    gateway_for(settings_of(app))  # refuse a bad backend before starting
    scheduler = BlockingScheduler(timezone=settings_of(app).timezone)

    scheduled = {**JOBS, "nightly_backup": nightly_backup}

    def job(name: str) -> Callable[[], None]:
        def run() -> None:
            if in_maintenance(app):
                log.info("%s: waits, the web is in maintenance", name)
                return
            result = scheduled[name](app, utcnow())
            if any(result.values()):
                log.info("%s: %s", name, result)

        return run

    scheduler.add_job(
        job("send_due_messages"),
        "interval",
        seconds=OUTBOX_INTERVAL_SECONDS,
        id="send_due_messages",
        name="send_due_messages",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        job("pass_on_expired_offers"),
        "interval",
        minutes=1,
        id="pass_on_expired_offers",
        name="pass_on_expired_offers",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        job("queue_reminders"),
        "interval",
        minutes=1,
        id="queue_reminders",
        name="queue_reminders",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        job("extend_horizon"),
        "cron",
        hour=3,
        minute=17,
        id="extend_horizon",
        name="extend_horizon",
        max_instances=1,
        coalesce=True,
    )

    def shut_down(*_args: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    scheduler.add_job(
        job("apply_retention"),
        "cron",
        hour=3,
        minute=41,
        id="apply_retention",
        name="apply_retention",
        max_instances=1,
        coalesce=True,
    )
    backup_hour, backup_minute = settings_of(app).backup_time.split(":")
    scheduler.add_job(
        job("nightly_backup"),
        "cron",
        hour=int(backup_hour),
        minute=int(backup_minute),
        id="nightly_backup",
        name="nightly_backup",
        max_instances=1,
        coalesce=True,
    )
    every = beat_interval(settings_of(app))
    scheduler.add_job(
        heartbeat,
        "interval",
        args=[app],
        seconds=every.total_seconds(),
        id="heartbeat",
        name="heartbeat",
        max_instances=1,
        coalesce=True,
    )
    heartbeat(app, starting=True)
    job("extend_horizon")()
    log.info("Worker %s started", worker_id())
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("Worker %s stopped", worker_id())
