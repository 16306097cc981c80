"""Site-wide endpoints: health check, privacy notice."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from havehus import maintenance
from havehus.core.health import DatabaseAnswers, database_answers
from havehus.core.replay import replayable
from havehus.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 when it does not or the web is in maintenance
    (for load balancers and monitors)."""
    down = maintenance.current(current_app.instance_path)
    if down is not None:
        # The database may be being replaced: not asked.
        since = down.since.isoformat() if down.since else None
        return jsonify(status="maintenance", maintenance=True, since=since), 503
    engine = db.engine
    if not database_answers(engine):
        return jsonify(status="unavailable", database="unreachable"), 503
    # A monitor polls this every few seconds: the same answer while the database answers.
    replayable(request.environ, DatabaseAnswers(engine))
    return jsonify(status="ok", database="ok"), 200


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """What the house records about people, why, for how long, and their rights."""
    return render_template("core/privacy.html")
