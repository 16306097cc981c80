"""The planner's pages (/staff/...): week grid, activities, sessions, closures, copying.

Managers and administrators change the program; hosts see the week and their shifts.
Each view parses the form, calls one planner service, then redirects or re-renders the form
with the errors next to the fields. Nothing is committed unless the service succeeded.

The pages live in one module per subject; every URL of the planner is in the block below.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.program.planner_views import activities, closures, copy_week, sessions, week

bp = Blueprint("planner", __name__, url_prefix="/staff")

#: Every planner page: its URL, methods and view (the endpoint is the view's name).
RULES: list[tuple[str, list[str], RouteCallable]] = [
    # week
    ("/week/<week>", ["GET"], week.week),
    ("/week/<week>/poster", ["GET"], week.poster),
    ("/week", ["GET"], week.this_week),
    # activities
    ("/activities", ["GET"], activities.activities),
    ("/activities/new", ["GET", "POST"], activities.activity_new),
    ("/activities/<int:activity_id>", ["GET", "POST"], activities.activity_edit),
    ("/activities/<int:activity_id>/archive", ["GET", "POST"], activities.activity_archive),
    # sessions
    ("/activities/<int:activity_id>/sessions/new", ["GET", "POST"], sessions.session_new),
    ("/sessions/<int:session_id>", ["GET", "POST"], sessions.session_edit),
    ("/sessions/<int:session_id>/hosts", ["POST"], sessions.session_hosts),
    ("/sessions/<int:session_id>/cancel", ["GET", "POST"], sessions.session_cancel),
    ("/sessions/<int:session_id>/reinstate", ["POST"], sessions.session_reinstate),
    ("/sessions/<int:session_id>/sign", ["GET"], sessions.session_sign),
    # closures
    ("/closures", ["GET", "POST"], closures.closures),
    ("/closures/<int:closure_id>/delete", ["POST"], closures.closure_delete),
    # copy_week
    ("/week/<week>/copy", ["GET", "POST"], copy_week.copy_week),
]
for url, methods, view in RULES:
    bp.add_url_rule(url, view_func=view, methods=methods)
