"""The house's core pages: the health check and the privacy page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the health check and the privacy page."""
    from havehus.core.views import bp

    app.register_blueprint(bp)
