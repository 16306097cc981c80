"""The staff area's own pages (/staff/…): sign-in, accounts, users, tokens, tablets, audit.

Every URL of the blueprint is in the block below; the views are in views.py (signing in and
one's own account) and admin_views.py (administration).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import RouteCallable

from havehus.extensions import db
from havehus.people import admin_views, auth, views
from havehus.timeutil import utcnow

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_global(views.csrf_form)
bp.add_app_template_global(views.role_label)

#: Every page: its URL, methods and view (the endpoint is the view's name).
RULES: list[tuple[str, list[str], RouteCallable]] = [
    # views
    ("/login", ["GET", "POST"], views.login),
    ("/login/code", ["GET", "POST"], views.second_factor),
    ("/logout", ["POST"], views.logout),
    ("/logout-everywhere", ["POST"], views.logout_everywhere),
    ("/account/password", ["GET", "POST"], views.change_password),
    ("/account/two-factor", ["GET", "POST"], views.two_factor_setup),
    ("/account/two-factor/disable", ["POST"], views.two_factor_disable),
    ("/invite/<token>", ["GET", "POST"], views.accept_invite),
    # admin_views
    ("/users", ["GET"], admin_views.users),
    ("/users/new", ["GET", "POST"], admin_views.user_new),
    ("/users/<int:user_id>", ["GET"], admin_views.user_detail),
    ("/users/<int:user_id>/role", ["POST"], admin_views.user_role),
    ("/users/<int:user_id>/active", ["POST"], admin_views.user_active),
    ("/users/<int:user_id>/reset", ["POST"], admin_views.user_reset),
    ("/tokens", ["GET", "POST"], admin_views.tokens),
    ("/tokens/<int:token_id>/revoke", ["POST"], admin_views.token_revoke),
    ("/devices", ["GET", "POST"], admin_views.devices),
    ("/devices/<int:device_id>/revoke", ["POST"], admin_views.device_revoke),
    ("/audit", ["GET"], admin_views.audit_log),
    ("/audit/access", ["GET"], admin_views.access_summary),
]
for url, methods, view in RULES:
    bp.add_url_rule(url, view_func=view, methods=methods)


@bp.app_context_processor
def _staff_people_globals() -> dict[str, Any]:
    def sign_in_lockouts() -> list[auth.Lockout]:
        """Accounts locked by wrong passwords within the last day (admins see them)."""
        return auth.recent_lockouts(db.session, utcnow())

    return {"sign_in_lockouts": sign_in_lockouts}
