"""Site-wide endpoints: health check, privacy notice."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from havehus.core.health import database_answers
from havehus.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 when it does not (for load balancers and monitors)."""
    if not database_answers(db.engine):
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """What the house records about people, why, for how long, and their rights."""
    return render_template("core/privacy.html")
