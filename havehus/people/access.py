"""Who may pass which door: staff sessions, roles, API bearer tokens and kiosk devices."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from havehus.config import current_settings, settings_of
from havehus.errors import json_error
from havehus.extensions import db, login
from havehus.models import ApiToken, KioskDevice, StaffUser
from havehus.models.people import MANAGERS as MANAGER_ROLES
from havehus.people import staff_sessions
from havehus.people.audit import Actor
from havehus.people.auth import TWO_FACTOR_ROLES
from havehus.people.credentials import find_api_token, find_kiosk
from havehus.people.staff_sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from havehus.security import hash_token
from havehus.staff_area import is_staff_path
from havehus.timeutil import utcnow

F = TypeVar("F", bound=Callable[..., Any])

ADMINS = ("admin",)
MANAGERS = MANAGER_ROLES
HOSTS = ("admin", "manager", "host")
STAFF = ("admin", "manager", "host", "partner")

KIOSK_COOKIE = "havehus_kiosk"
KIOSK_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600
#: The Flask-session key of the staff session's token (see staff_sessions).
STAFF_SESSION_KEY = "staff_session"
#: A browser that signed in to an account gets a cookie of this name and the account's id.
DEVICE_COOKIE_PREFIX = "havehus_device_"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
DEVICE_COOKIE_SALT = "havehus.staff-device"


def active_user(user_ref: str) -> StaffUser | None:
    """The active user of an "id:generation" reference, while the generation still matches."""
    user_id, _sep, generation = user_ref.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


@login.user_loader
def load_user(user_ref: str) -> StaffUser | None:
    """The signed-in user, while their session lives on the server too, else None."""
    user = active_user(user_ref)
    token = session.get(STAFF_SESSION_KEY)
    if user is None or not isinstance(token, str):
        return None
    return user if staff_sessions.is_live(db.session, token, user.id, utcnow()) else None


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
    production = current_settings().env == "production"
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
    if "HTTP_COOKIE" not in request.environ:
        return
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
        end_staff_session()
        if is_staff_path(request.path):
            flash(_("You were signed out to keep the data safe. Please sign in again."))
        return
    if is_staff_path(request.path):
        session["seen_at"] = int(now)


def start_staff_session(user: StaffUser, now: datetime) -> None:
    """Begin a fresh session for the user (nothing from before sign-in survives).

    The caller commits: the session's row is written with the sign-in.
    """
    if isinstance(previous := session.get(STAFF_SESSION_KEY), str):
        staff_sessions.end(db.session, previous, now)
    session.clear()
    session.permanent = True
    login_user(user)
    session[STAFF_SESSION_KEY] = staff_sessions.begin(db.session, user, now)
    session["signed_in_at"] = session["seen_at"] = int(now.timestamp())


def end_staff_session() -> None:
    """Sign this browser out: its session ends on the server too, and its cookie is emptied."""
    token = session.get(STAFF_SESSION_KEY)
    if isinstance(token, str):
        staff_sessions.end(db.session, token, utcnow())
    logout_user()
    session.clear()


class StaffSessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, which a browser keeps no longer than the staff session.

    Its Max-Age is what is left of the session: until 30 idle minutes or 12 hours after
    signing in, whichever comes first (counted on the app's clock; the browser counts Max-Age
    on its own). Any other session cookie stays a browser-session cookie.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Most requests (residents, calendar apps) bring no cookie: an empty session, without
        # building the signing serializer that reading a cookie needs.
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(
            self.get_cookie_name(app)
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            # Nothing to write or delete (Flask's own path, without its cookie settings).
            if session.accessed:
                response.vary.add("Cookie")
            return
        if not session.permanent or "signed_in_at" not in session or not session.get("_user_id"):
            super().save_session(app, session, response)
            return
        if session.accessed:
            response.vary.add("Cookie")
        if not self.should_set_cookie(app, session):
            return
        now = utcnow().timestamp()
        ends = min(
            session["signed_in_at"] + ABSOLUTE_TIMEOUT.total_seconds(),
            session.get("seen_at", 0) + IDLE_TIMEOUT.total_seconds(),
        )
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # the app always has a secret key
        response.set_cookie(
            self.get_cookie_name(app),
            serializer.dumps(dict(session)),
            max_age=max(int(ends - now), 0),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


# ---------------------------------------------------------------- known devices


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=DEVICE_COOKIE_SALT)  # type: ignore[arg-type]


def known_devices() -> dict[int, str]:
    """The accounts this browser signed in to before: user id → the device's key.

    The cookie is signed and names its account, so it cannot be made up or moved to another
    account; its key is a hash of its random nonce.
    """
    found: dict[int, str] = {}
    for name, value in request.cookies.items():
        if not name.startswith(DEVICE_COOKIE_PREFIX):
            continue
        try:
            user_id, nonce = _device_serializer().loads(value)
        except (BadSignature, TypeError, ValueError):
            continue
        if name == f"{DEVICE_COOKIE_PREFIX}{user_id}" and isinstance(nonce, str):
            found[int(user_id)] = hash_token(nonce)
    return found


def device_key(user: StaffUser) -> str | None:
    """This browser's device key for the user's account, when it signed in to it before."""
    return known_devices().get(user.id)


def remember_device(response: BaseResponse, user: StaffUser) -> BaseResponse:
    """Mark this browser as one the user signed in with (kept a year, sent to /staff only)."""
    if user.id not in known_devices():
        value = _device_serializer().dumps([user.id, secrets.token_urlsafe(16)])
        response.set_cookie(
            f"{DEVICE_COOKIE_PREFIX}{user.id}",
            value,
            max_age=DEVICE_COOKIE_MAX_AGE,
            path="/staff",
            httponly=True,
            samesite="Lax",
            secure=current_settings().production,
        )
    return response


def init_app(app: Flask) -> None:
    login.login_view = "staff.login"
    login.login_message = _l("Please sign in to see this page.")
    login.session_protection = "basic"
    # Not setdefault: Flask's own default (31 days) is always there and would win. It is
    # also how old a signed cookie may be before Flask refuses to read it.
    app.config["PERMANENT_SESSION_LIFETIME"] = ABSOLUTE_TIMEOUT
    app.session_interface = StaffSessionCookie()
    app.before_request(_enforce_session_timeouts)
    proxies = settings_of(app).trusted_proxies
    if proxies:
        # Behind a reverse proxy: take the client address and scheme from its headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
