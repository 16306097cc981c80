"""Host mode's URLs (/host…): every rule in one block; the views are in host_views.py (the
sessions), follow_up_views.py (the follow-up list) and outreach_views.py (contacts)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.attendance import follow_up_views, host_views, outreach_views

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
