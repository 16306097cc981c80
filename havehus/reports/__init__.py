"""Reports: the data strategy's indicators, computed from visits, counts and bookings, and
exported with small groups hidden (`havehus report`, /staff/reports)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the report page and its exports, and the reports' other staff pages:
    targets, the indicator register, frozen years, importing history."""
    from havehus.reports.goal_views import bp as goals_bp
    from havehus.reports.import_views import bp as import_bp
    from havehus.reports.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(goals_bp)
    app.register_blueprint(import_bp)
