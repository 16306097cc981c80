"""Who may pass which door: staff sessions, roles, API bearer tokens and kiosk devices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix

from havehus.errors import json_error
from havehus.extensions import db, login
from havehus.models import ApiToken, KioskDevice, StaffUser
from havehus.models.people import MANAGERS as MANAGER_ROLES
from havehus.people.audit import Actor
from havehus.people.auth import TWO_FACTOR_ROLES
from havehus.people.credentials import find_api_token, find_kiosk
from havehus.staff_area import is_staff_path
from havehus.timeutil import utcnow

F = TypeVar("F", bound=Callable[..., Any])

ADMINS = ("admin",)
MANAGERS = MANAGER_ROLES
HOSTS = ("admin", "manager", "host")
STAFF = ("admin", "manager", "host", "partner")

ABSOLUTE_TIMEOUT = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(minutes=30)
KIOSK_COOKIE = "havehus_kiosk"
KIOSK_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600


@login.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """The active user whose session generation still matches, else None (signed out)."""
    user_id, _sep, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def client_ip() -> str:
    return request.remote_addr or "unknown"


def current_actor() -> Actor:
    """The actor of this request, for the audit trail."""
    if current_user.is_authenticated:
        return Actor("user", current_user.id, ip=client_ip(), role=current_user.role)
    token: ApiToken | None = g.get("api_token")
    if token is not None:
        return Actor("token", token_id=token.id, ip=client_ip(), role=token.role)
    if current_kiosk() is not None:
        return Actor("kiosk", ip=client_ip())
    return Actor("public", ip=client_ip())


def two_factor_required(user: StaffUser) -> bool:
    production = current_app.config["HAVEHUS_ENV"] == "production"
    return production and user.role in TWO_FACTOR_ROLES


def staff_required(*roles: str) -> Callable[[F], F]:
    """Signed-in staff with one of the roles; anonymous → sign-in page, wrong role → 403."""
    allowed = roles or STAFF

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login.unauthorized()
            if two_factor_required(current_user) and not current_user.totp_secret:
                if request.endpoint not in ("staff.two_factor_setup", "staff.logout"):
                    flash(_("Your role needs two-factor sign-in. Set it up to continue."))
                    return redirect(url_for("staff.two_factor_setup"))
            if current_user.role not in allowed:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def token_required(*roles: str) -> Callable[[F], F]:
    """A live bearer token with one of the roles; 401 without one, 403 for the wrong role."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            if token is None:
                response, status = json_error(
                    "unauthorized", _("A valid bearer token is needed."), 401
                )
                response.headers["WWW-Authenticate"] = 'Bearer realm="havehus"'
                return response, status
            if roles and token.role not in roles:
                return json_error("forbidden", _("This token may not do that."), 403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def bearer_token() -> ApiToken | None:
    """The live API token of this request (cached on g), or None."""
    if "api_token" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _sep, value = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and value.strip():
            token = find_api_token(db.session, value.strip(), utcnow())
        g.api_token = token
    return g.api_token


def current_kiosk() -> KioskDevice | None:
    """The enrolled kiosk device this browser is (cached on g), or None."""
    if "kiosk_device" not in g:
        raw = request.cookies.get(KIOSK_COOKIE)
        g.kiosk_device = find_kiosk(db.session, raw, utcnow()) if raw else None
    return g.kiosk_device


def _enforce_session_timeouts() -> None:
    # Most requests (residents, calendar apps) carry no session cookie: nothing to check.
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return
    if "_user_id" not in session:
        return
    now = utcnow().timestamp()
    signed_in = session.get("signed_in_at", 0)
    seen = session.get("seen_at", 0)
    if now - signed_in > ABSOLUTE_TIMEOUT.total_seconds() or (
        now - seen > IDLE_TIMEOUT.total_seconds()
    ):
        logout_user()
        session.clear()
        if is_staff_path(request.path):
            flash(_("You were signed out to keep the data safe. Please sign in again."))
        return
    if is_staff_path(request.path):
        session["seen_at"] = int(now)


def start_staff_session(user: StaffUser, now: datetime) -> None:
    """Begin a fresh session for the user (nothing from before sign-in survives)."""
    from flask_login import login_user

    session.clear()
    session.permanent = True
    login_user(user)
    session["signed_in_at"] = session["seen_at"] = int(now.timestamp())


def init_app(app: Flask) -> None:
    login.login_view = "staff.login"
    login.login_message = _l("Please sign in to see this page.")
    login.session_protection = "basic"
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", ABSOLUTE_TIMEOUT)
    app.before_request(_enforce_session_timeouts)
    proxies = int(app.config.get("HAVEHUS_TRUSTED_PROXIES", 0))
    if proxies:
        # Behind a reverse proxy: take the client address and scheme from its headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
