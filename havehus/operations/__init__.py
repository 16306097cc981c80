"""Operations: the workers' heartbeat, backups and restores, and what staff see when
something is wrong (a silent worker)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /healthz/worker and the staff banner's context processor."""
    from havehus.operations.views import bp

    app.register_blueprint(bp)
