"""Attendance's URLs, every rule in one block per blueprint: host mode (/host…, the views in
host_views.py) and self check-in (the QR page in qr_views.py, the kiosk's "I am here" in
kiosk_views.py)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.attendance import host_views, kiosk_views, qr_views

bp = Blueprint("host", __name__, url_prefix="/host")

#: Every page: its URL, methods and view (the endpoint is the view's name).
RULES: list[tuple[str, list[str], RouteCallable]] = [
    ("", ["GET"], host_views.days),
    ("/sessions/<int:session_id>", ["GET"], host_views.session_sheet),
    ("/sessions/<int:session_id>/tap", ["POST"], host_views.tap),
    ("/sessions/<int:session_id>/add", ["POST"], host_views.add_person),
    ("/sessions/<int:session_id>/note", ["POST"], host_views.note),
    ("/sessions/<int:session_id>/close", ["POST"], host_views.close),
    ("/sessions/<int:session_id>/unlock", ["POST"], host_views.unlock),
]
for url, methods, view in RULES:
    bp.add_url_rule(url, view_func=view, methods=methods)

checkin_bp = Blueprint("checkin", __name__)

#: Self check-in: its URL, methods, endpoint and view. The QR page's endpoint is named in
#: program.check_in_link (the poster and the session sign print its address).
CHECK_IN_RULES: list[tuple[str, list[str], str, RouteCallable]] = [
    ("/sessions/<int:session_id>/here/<code>", ["GET", "POST"], "qr", qr_views.qr),
    ("/sessions/<int:session_id>/here/<code>/pulse", ["POST"], "qr_pulse", qr_views.qr_pulse),
    ("/kiosk/sessions/<int:session_id>/here", ["GET", "POST"], "kiosk_here", kiosk_views.here),
    ("/kiosk/here/welcome", ["GET"], "kiosk_welcome", kiosk_views.welcome),
    ("/kiosk/sessions/<int:session_id>/pulse", ["POST"], "kiosk_pulse", kiosk_views.pulse),
]
for url, methods, endpoint, view in CHECK_IN_RULES:
    checkin_bp.add_url_rule(url, endpoint, view_func=view, methods=methods)
