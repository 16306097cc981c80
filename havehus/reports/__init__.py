"""Reports: the data strategy's indicators, computed from visits, counts and bookings, and
exported with small groups hidden (`havehus report`, /staff/reports)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reports' staff pages: importing history (/staff/reports/import)."""
    from havehus.reports.import_views import bp as import_bp

    app.register_blueprint(import_bp)
