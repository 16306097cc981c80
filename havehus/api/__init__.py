"""The JSON API for partner systems: sessions, activities and bookings, described by OpenAPI."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API; its callers prove themselves with a bearer token, not a CSRF token."""
    from havehus.api.blueprint import bp
    from havehus.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(bp)
