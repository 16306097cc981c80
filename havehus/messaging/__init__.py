"""Messaging: the outbox, the SMS gateways, the webhooks Twilio calls, and the staff pages.

It knows no domain: the domains word their texts and register what replies do and what is
checked before a text is sent (kinds.py, replies.register_handler).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff message pages and Twilio's webhooks (signed by Twilio, not CSRF)."""
    from havehus.extensions import csrf
    from havehus.messaging.staff_views import bp as staff_bp
    from havehus.messaging.webhooks import bp as sms_bp

    app.register_blueprint(staff_bp)
    app.register_blueprint(sms_bp)
    csrf.exempt(sms_bp)
