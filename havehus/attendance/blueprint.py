"""Attendance's URLs, every rule in one block per blueprint: host mode (/host…, the views in
host_views.py, follow_up_views.py for the follow-up list, outreach_views.py for contacts) and
self check-in (the QR page in qr_views.py, the kiosk's "I am here" in
kiosk_views.py)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.attendance import follow_up_views, host_views, kiosk_views, outreach_views, qr_views

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
    ("/follow-up", ["GET"], follow_up_views.follow_up),
    ("/follow-up/mark", ["POST"], follow_up_views.follow_up_mark),
    ("/follow-up/text", ["POST"], follow_up_views.follow_up_text),
    ("/contacted", ["GET"], outreach_views.contacted),
    ("/contacted", ["POST"], outreach_views.record_contact),
    ("/contacted/<int:contact_id>/undo", ["POST"], outreach_views.undo_contact),
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
