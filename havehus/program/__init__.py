"""The program: activities, their sessions, rooms and closures; the planner and public pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public program pages, the planner and photos; hand messaging the samples
    of the change texts."""
    # Imported here, as the app factory imports blueprints: importing a service module of the
    # package must not pull in every page.
    from havehus.program import notices, page_cache
    from havehus.program.photo_views import bp as photos_bp
    from havehus.program.planner_views import bp as planner_bp
    from havehus.program.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(planner_bp)
    app.register_blueprint(photos_bp)
    notices.register_samples()
    page_cache.init_app(app)
