"""/healthz/worker for monitoring; the staff banner's questions for every staff page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging import guards
from havehus.operations import status
from havehus.operations.heartbeat import WorkerState, silent_after, worker_state
from havehus.people.access import ADMINS, staff_required
from havehus.timeutil import utcnow

bp = Blueprint("operations", __name__)


@bp.get("/healthz/worker")
def healthz_worker() -> ResponseReturnValue:
    """200 with the last beat while a worker beat within 5 minutes; 503 otherwise."""
    now = utcnow()
    state = worker_state(db.session, now, silent_after(current_settings()))
    age = state.age(now)
    body = {
        "status": "unavailable" if state.silent else "ok",
        "workers_alive": state.alive,
        "last_beat": state.last_beat.isoformat() if state.last_beat else None,
        "seconds_since_last_beat": int(age.total_seconds()) if age is not None else None,
        "worker": state.worker_id,
        "version": state.version,
    }
    return jsonify(body), 503 if state.silent else 200


@bp.get("/staff/system")
@staff_required(*ADMINS)
def system() -> ResponseReturnValue:
    """Workers, outbox, budget, backups, database and versions, for admins."""
    settings = current_settings()
    found = status.system_status(
        db.session, utcnow(), guards.Limits.from_settings(settings), silent_after(settings)
    )
    return render_template("operations/system.html", status=found)


@bp.app_context_processor
def _operations_globals() -> dict[str, Any]:
    def worker_silence() -> WorkerState | None:
        """The workers' state when none beat within 5 minutes; None while one runs."""
        state = worker_state(db.session, utcnow(), silent_after(current_settings()))
        return state if state.silent else None

    def operations_warnings() -> status.Warnings:
        """Old or failed backups, failing texts."""
        return status.warnings(db.session, utcnow())

    return {"worker_silence": worker_silence, "operations_warnings": operations_warnings}
