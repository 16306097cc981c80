"""Attendance: who came to a session — host mode, check-ins, anonymous counts, closing, locking.

Above `signup` in the layers: a host adding someone identifies them through the sign-up
service, and a booked person's visit marks their booking.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register host mode's pages and self check-in's (the QR page, the kiosk's "I am here");
    tell messaging about follow-up texts."""
    from havehus.attendance import texts
    from havehus.attendance.blueprint import bp, checkin_bp

    app.register_blueprint(bp)
    app.register_blueprint(checkin_bp)
    texts.register()
