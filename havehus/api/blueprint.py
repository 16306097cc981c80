"""The JSON API's blueprint (/api/v1): every URL of the API in one block."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.api import activities, bookings, views

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer-token callers (who book for many people) get their own, higher rate limit.
bp.before_request(views.rate_limit)

#: Every API operation: its URL, method and view (the endpoint is the view's name; each view
#: carries its OpenAPI description, see openapi.describe).
RULES: list[tuple[str, list[str], RouteCallable]] = [
    # views
    ("/sessions", ["GET"], views.sessions),
    ("/me", ["GET"], views.me),
    ("/openapi.json", ["GET"], views.openapi),
    # activities
    ("/activities", ["GET"], activities.activities),
    ("/activities", ["POST"], activities.activity_create),
    ("/activities/<slug>", ["GET"], activities.activity_detail),
    ("/activities/<slug>", ["PATCH"], activities.activity_update),
    ("/sessions/<int:session_id>/cancel", ["POST"], activities.session_cancel),
    # bookings
    ("/sessions/<int:session_id>/bookings", ["POST"], bookings.create_booking),
    ("/bookings/<int:booking_id>", ["DELETE"], bookings.delete_booking),
]
for url, methods, view in RULES:
    bp.add_url_rule(url, view_func=view, methods=methods)
