"""Sign-ups: bookings, seats and waiting lists, the kiosk, consent, and the texts about them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the sign-up pages; tell messaging what replies do and what to check before
    a reminder goes out."""
    # Imported here, as the app factory imports blueprints: importing a service module of the
    # package must not pull in every page.
    from havehus.signup import reminders, replies, texts
    from havehus.signup.kiosk_views import bp as kiosk_bp
    from havehus.signup.staff_views import bp as staff_bp
    from havehus.signup.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(staff_bp)
    replies.register()
    reminders.register()
    texts.register_samples()
