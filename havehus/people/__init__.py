"""People: participants, staff users and roles, sign-in, access, the audit trail, retention."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff area's own pages (sign-in, accounts, administration)."""
    from havehus.people.blueprint import bp

    app.register_blueprint(bp)
