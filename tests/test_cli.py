"""The havehus command: the names operators script against."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import AuditEvent, OutboundMessage, StaffUser
from havehus.people.services import verify_password
from tests.conftest import DEFAULT_NOW

CONTRACT_COMMANDS = (
    "db",
    "demo",
    "serve",
    "worker",
    "create-user",
    "expand",
    "check",
    "backup",
    "restore",
)


def _havehus(*args: str, env: dict[str, str], stdin: str | None = None):
    executable = shutil.which("havehus", path=str(Path(sys.executable).parent)) or "havehus"
    return subprocess.run(
        [executable, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
    env.update(
        HAVEHUS_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        HAVEHUS_INSTANCE_PATH=str(tmp_path / "instance"),
    )
    return env


@pytest.mark.slow
def test_help_lists_every_command_with_one_line(cli_env):
    result = _havehus("--help", env=cli_env)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    for command in CONTRACT_COMMANDS:
        assert command in lines, command
        assert not lines[command].rstrip().endswith("..."), lines[command]


@pytest.mark.slow
def test_fresh_database_upgrade_demo_and_worker_once(cli_env):
    assert _havehus("db", "upgrade", env=cli_env).returncode == 0
    demo = _havehus("demo", env=cli_env)
    assert demo.returncode == 0, demo.stderr
    assert "manager@havehus.example" in demo.stdout and "password:" in demo.stdout
    again = _havehus("demo", env=cli_env)
    assert "nothing changed" in again.stdout and "password" not in again.stdout
    check = _havehus("check", env=cli_env)
    assert check.returncode == 0, check.stdout + check.stderr  # the demo keeps the invariants
    worker = _havehus("worker", "--once", "--at", "2026-12-01T08:00", env=cli_env)
    assert worker.returncode == 0, worker.stderr
    assert "send_due_messages: sent=0" in worker.stdout


@pytest.mark.slow
def test_production_with_the_default_secret_stops_with_a_clear_message(cli_env):
    cli_env["HAVEHUS_ENV"] = "production"
    result = _havehus("expand", env=cli_env)
    assert result.returncode != 0
    assert "HAVEHUS_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_create_user_with_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "Mette@Example.org", "--role", "manager", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser))
    assert user.email == "mette@example.org" and user.role == "manager"
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user, "a long enough passphrase")
    assert db.session.scalar(select(AuditEvent.action)) == "user.create"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["create-user", "not-an-address", "--role", "host", "--password-stdin"],
            "x" * 12,
            "e-mail",
        ),
        (["create-user", "a@b.dk", "--role", "host", "--password-stdin"], "short", "12"),
        (["create-user", "a@b.dk", "--role", "boss", "--password-stdin"], "x" * 12, "boss"),
    ],
)
def test_create_user_refuses_bad_input_clearly(app, args, stdin, message):
    result = app.test_cli_runner().invoke(args=args, input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_create_user_twice_is_refused(app):
    runner = app.test_cli_runner()
    args = ["create-user", "host@example.org", "--role", "host", "--password-stdin"]
    assert runner.invoke(args=args, input="apple tree in bloom\n").exit_code == 0
    second = runner.invoke(args=args, input="pear tree in bloom\n")
    assert second.exit_code != 0 and "findes allerede" in second.output  # Danish by default


def test_expand_extends_the_horizon(app, make_activity, clock):
    make_activity(rrule="FREQ=WEEKLY", starts_on=clock.now.date())  # today, at noon in Copenhagen
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["expand", "--weeks", "4"])
    assert result.exit_code == 0, result.output
    assert "Sessions created: 5" in result.output
    again = app.test_cli_runner().invoke(args=["expand", "--weeks", "4"])
    assert "Sessions created: 0" in again.output


def test_worker_once_at_a_given_instant_sends_what_is_due_then(app):
    from datetime import UTC, datetime

    db.session.add(
        OutboundMessage(
            to_phone="+4520990001",
            language="da",
            body="Kommer du i dag?",
            kind="change",
            send_after=datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    )
    db.session.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["worker", "--once", "--at", "2026-12-03T13:59:00+01:00"])
    assert "sent=0" in early.output
    due = runner.invoke(args=["worker", "--once", "--at", "2026-12-03T14:00"])
    assert "sent=1" in due.output
    db.session.expire_all()
    assert db.session.scalar(select(OutboundMessage.status)) == "sent"


def test_worker_at_without_once_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["worker", "--at", "2026-12-03T14:00"])
    assert result.exit_code == 2


def test_check_reports_a_seat_counter_that_drifted_and_exits_1(app, make_activity, make_session):
    from sqlalchemy import update

    from havehus.models import Session

    session = make_session(make_activity(mode="signup", capacity=5), DEFAULT_NOW)
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check"]).exit_code == 0
    db.session.execute(update(Session).where(Session.id == session.id).values(seats_taken=2))
    db.session.commit()

    result = runner.invoke(args=["check"])

    assert result.exit_code == 1
    assert f"drift: session {session.id}: counter 2, bookings 0" in result.output
    db.session.execute(update(Session).where(Session.id == session.id).values(seats_taken=0))
    db.session.commit()
