"""Calendar feeds: ICS building, caching (ETag), feed tokens and the subscribe page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public feeds and subscribe page, and the staff's partner-feed pages."""
    from havehus.feeds.staff_views import bp as staff_bp
    from havehus.feeds.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
