"""Maintenance mode: `havehus maintenance on|off`, seen by every web process and worker that
shares the instance folder; a friendly, translated 503 with Retry-After; /healthz says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from havehus import maintenance
from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.outgoing import queue
from havehus.models import MessageStatus, OutboundMessage
from havehus.worker import run_once
from tests.conftest import DEFAULT_NOW, build_app

PAGES = ["/", "/week/2026-W49", "/kiosk", "/calendar", "/staff/login", "/staff/", "/host"]


def invoke(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_on_and_off_from_the_command_line_for_every_web_process(app: Flask, sqlite_url) -> None:
    other = build_app(sqlite_url)  # another web process on the same machine
    assert other.instance_path == app.instance_path
    assert other.test_client().get("/").status_code == 200

    on = invoke(app, "maintenance", "on", "--reason", "restoring Tuesday's backup")
    assert on.exit_code == 0 and "in maintenance" in on.output
    assert "Already" in invoke(app, "maintenance", "on").output
    status = invoke(app, "maintenance", "status").output
    assert "In maintenance since" in status and "restoring Tuesday's backup" in status

    for client in (app.test_client(), other.test_client()):
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 503, path
            assert answer.headers["Retry-After"] == "300"
            assert answer.headers["Cache-Control"] == "no-store"
            assert "Vi laver vedligeholdelse" in answer.get_data(as_text=True)
        assert client.post("/staff/login", data={"email": "x"}).status_code == 503
        api = client.get("/api/v1/sessions")
        assert api.status_code == 503 and api.get_json()["code"] == "maintenance"
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["status"] == "maintenance"
        assert health.get_json()["since"] == DEFAULT_NOW.isoformat()
        # Monitoring still reads the worker's heartbeat; the page's own files still load.
        assert client.get("/healthz/worker").status_code in (200, 503)
        assert client.get("/healthz/worker").get_json()["status"] != "maintenance"
        style = client.get("/static/css/site.css")
        assert style.status_code == 200
        style.close()

    off = invoke(other, "maintenance", "off")
    assert off.exit_code == 0 and "ended" in off.output
    assert "was not" in invoke(app, "maintenance", "off").output
    assert "Not in maintenance" in invoke(app, "maintenance", "status").output
    for client in (app.test_client(), other.test_client()):
        assert client.get("/").status_code == 200
        assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "lang,title",
    [("en", "We are doing maintenance"), ("ar", None), ("uk", None), ("so", None)],
)
def test_the_page_speaks_the_visitors_language(app: Flask, client, lang, title) -> None:
    maintenance.turn_on(app.instance_path, DEFAULT_NOW)
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    danish = "Vi laver vedligeholdelse"
    assert danish not in page
    if title:
        assert title in page
    else:
        assert "We are doing maintenance" not in page


def test_a_signed_in_admin_gets_the_page_too(app: Flask, client, signed_in) -> None:
    signed_in("admin")
    assert client.get("/staff/system").status_code == 200
    maintenance.turn_on(app.instance_path, DEFAULT_NOW, "upgrade")
    assert client.get("/staff/system").status_code == 503
    assert client.get("/staff/reports").status_code == 503


def test_a_flag_that_cannot_be_read_still_counts(app: Flask, client) -> None:
    maintenance.flag_path(app.instance_path).parent.mkdir(parents=True, exist_ok=True)
    maintenance.flag_path(app.instance_path).write_text("{not json")
    assert client.get("/").status_code == 503
    assert maintenance.current(app.instance_path) == maintenance.Maintenance(None, "")
    assert "unknown time" in invoke(app, "maintenance", "status").output


def test_the_worker_sends_nothing_in_maintenance(app: Flask) -> None:
    with app.app_context():
        queue(
            db.session,
            phone="+4520123456",
            language="da",
            body="Havehuset: Din kode er 123456.",
            kind="code",
            now=DEFAULT_NOW,
            needs_consent=False,
            settings=current_settings(),
        )
        db.session.commit()
    maintenance.turn_on(app.instance_path, DEFAULT_NOW)
    assert run_once(app, DEFAULT_NOW + timedelta(minutes=1)) == {}
    with app.app_context():
        assert db.session.scalar(select(OutboundMessage.status)) == MessageStatus.PENDING
        db.session.rollback()
    result = invoke(app, "worker", "--once")
    assert result.exit_code == 0
    maintenance.turn_off(app.instance_path)
    assert run_once(app, DEFAULT_NOW + timedelta(minutes=1))["send_due_messages"]["sent"] == 1
