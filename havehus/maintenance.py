"""Maintenance mode: a flag file in the instance folder that every web process and worker on
the machine sees at once (`havehus maintenance on|off`, and `havehus restore` while it runs).

While it is there, every page and the API answer 503 with a friendly, translated page and
`Retry-After`; `/healthz` says "maintenance"; workers run no job (no text is sent while a
backup is put back). A file, not a database row: it must hold while the database is replaced.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _

FLAG_NAME = "maintenance.json"
#: What a browser or client is told to wait before trying again (seconds).
RETRY_AFTER_SECONDS = 300
#: Paths answered as usual in maintenance: monitoring, and the files the page itself needs.
_OPEN_PATHS = ("/healthz", "/static/")


@dataclass(frozen=True)
class Maintenance:
    """The web is in maintenance since `since`, for `reason` (said to the operator only)."""

    since: datetime | None
    reason: str


def flag_path(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / FLAG_NAME


def is_on(instance_path: str) -> bool:
    """Whether the flag is there: one system call, for what runs on every request (a flag
    that cannot be looked at counts, as in `current`)."""
    try:
        os.lstat(os.path.join(instance_path, FLAG_NAME))
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def current(instance_path: str | os.PathLike[str]) -> Maintenance | None:
    """The maintenance in force, or None. One stat per call; an unreadable flag still counts."""
    path = flag_path(instance_path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return Maintenance(None, "")
    try:
        data = json.loads(raw)
        since = datetime.fromisoformat(data["since"]) if data.get("since") else None
        return Maintenance(since, str(data.get("reason") or ""))
    except (ValueError, TypeError, KeyError, AttributeError):
        return Maintenance(None, "")


def turn_on(instance_path: str | os.PathLike[str], now: datetime, reason: str = "") -> bool:
    """Put the web in maintenance; False when it already was (the flag is left as it is)."""
    path = flag_path(instance_path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{FLAG_NAME}.{os.getpid()}.part")
    part.write_text(json.dumps({"since": now.isoformat(), "reason": reason}), encoding="utf-8")
    os.replace(part, path)  # whole or absent: no process reads half a flag
    return True


def turn_off(instance_path: str | os.PathLike[str]) -> bool:
    """End maintenance; False when the web was not in maintenance."""
    try:
        flag_path(instance_path).unlink()
    except FileNotFoundError:
        return False
    return True


def _answer() -> Any:
    title = _("We are doing maintenance")
    text = _(
        "The program is being looked after and will be back in a few minutes. Please try "
        "again shortly."
    )
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify(code="maintenance", message=text)
    else:
        response = current_app.make_response(
            render_template("errors/maintenance.html", title=title, text=text)
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Answer every request but monitoring's with the maintenance page while the flag is set."""

    @app.before_request
    def _in_maintenance() -> Any:
        if request.path.startswith(_OPEN_PATHS):
            return None
        if not is_on(app.instance_path):
            return None
        return _answer()
