"""The worker's heartbeat: /healthz/worker for monitoring, a banner for staff."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from havehus import worker
from havehus.extensions import db
from havehus.models import WorkerHeartbeat
from havehus.operations.heartbeat import beat
from tests.conftest import DEFAULT_NOW

SILENT = "Workeren har ikke meldt sig siden"  # staff pages are Danish by default
NEVER = "Ingen worker har meldt sig endnu"


def test_no_worker_ever_is_unavailable(any_app):
    response = any_app.test_client().get("/healthz/worker")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.get_json()["last_beat"] is None


def test_a_beat_within_five_minutes_is_ok_and_older_is_not(any_app, clock):
    beat(db.session, "host-a:1", DEFAULT_NOW, starting=True)
    db.session.commit()
    client = any_app.test_client()

    clock.advance(timedelta(minutes=4, seconds=59))
    response = client.get("/healthz/worker")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["workers_alive"] == 1
    assert body["worker"] == "host-a:1"
    assert body["seconds_since_last_beat"] == 299
    assert body["last_beat"].startswith("2026-12-02T11:00:00")

    clock.advance(timedelta(seconds=2))
    response = client.get("/healthz/worker")
    assert response.status_code == 503
    assert response.get_json()["seconds_since_last_beat"] == 301


def test_each_beat_updates_the_worker_s_one_row(any_app):
    beat(db.session, "host-a:1", DEFAULT_NOW - timedelta(minutes=2), starting=True)
    beat(db.session, "host-a:1", DEFAULT_NOW)
    beat(db.session, "host-b:7", DEFAULT_NOW - timedelta(days=8))
    db.session.commit()
    rows = {r.worker_id: r for r in db.session.scalars(select(WorkerHeartbeat))}
    assert rows["host-a:1"].beat_at == DEFAULT_NOW
    assert rows["host-a:1"].started_at == DEFAULT_NOW - timedelta(minutes=2)
    # A worker gone for a week is forgotten when another starts.
    beat(db.session, "host-c:9", DEFAULT_NOW, starting=True)
    db.session.commit()
    names = set(db.session.scalars(select(WorkerHeartbeat.worker_id)))
    assert names == {"host-a:1", "host-c:9"}


def test_a_worker_run_beats(app):
    # `worker --once` is a worker too; it beats at the real time, never at `--at`'s.
    worker.run_once(app, DEFAULT_NOW + timedelta(days=3))
    row = db.session.scalars(select(WorkerHeartbeat)).one()
    assert row.worker_id == worker.worker_id()
    assert row.beat_at == DEFAULT_NOW
    assert app.test_client().get("/healthz/worker").status_code == 200


def test_managers_see_a_banner_while_no_worker_runs(client, signed_in, clock):
    signed_in("manager")
    page = client.get("/staff/").get_data(as_text=True)
    assert NEVER in page

    beat(db.session, "host-a:1", DEFAULT_NOW, starting=True)
    db.session.commit()
    page = client.get("/staff/").get_data(as_text=True)
    assert NEVER not in page and SILENT not in page

    clock.advance(timedelta(minutes=5, seconds=1))
    page = client.get("/staff/").get_data(as_text=True)
    assert SILENT in page
    assert "12:00" in page  # the last beat, in the house's time


def test_hosts_do_not_see_the_banner(client, signed_in):
    signed_in("host")
    page = client.get("/staff/").get_data(as_text=True)
    assert NEVER not in page
