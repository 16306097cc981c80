"""Activity photos are public, like the program they illustrate: /photos/<name>."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

from havehus.program.photos import NAME, photo_dir

bp = Blueprint("photos", __name__)


@bp.get("/photos/<name>")
def photo(name: str) -> ResponseReturnValue:
    """A stored activity photo (random names; only files the planner wrote)."""
    if not NAME.match(name):
        abort(404)
    return send_from_directory(photo_dir(current_app.instance_path), name, max_age=86400)
