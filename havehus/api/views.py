"""The JSON API (/api/v1): parse, call the domain service, answer JSON."""

from __future__ import annotations

from typing import cast

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.api import shapes
from havehus.api.fields import parse_query
from havehus.api.openapi import describe, openapi_document
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import default_language, offered_languages
from havehus.models import ApiToken
from havehus.people.access import bearer_token, client_ip, token_required
from havehus.program import services
from havehus.ratelimit import FixedWindowLimiter
from havehus.timeutil import house_tz

LIMITER_KEY = "havehus_api_limiter"


def rate_limit() -> ResponseReturnValue | None:
    """Bearer-token callers (who book for many people) get their own, higher limit."""
    token = bearer_token()
    config = current_settings()
    if token is not None:
        key, limit = f"token:{token.id}", int(config.api_token_requests_per_minute)
    else:
        key, limit = f"ip:{client_ip()}", int(config.api_public_requests_per_minute)
    limiter = current_app.extensions.setdefault(LIMITER_KEY, FixedWindowLimiter())
    retry_after = limiter.hit(key, limit)
    if retry_after is None:
        return None
    response, status = shapes.refuse("rate_limited", _("Too many requests. Wait a minute."), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response, status


@describe(
    "Public sessions in a date window",
    description="Dates are local (Europe/Copenhagen) and inclusive; the window is at most 400 "
    "days. No token is needed for public sessions; a partner token also sees partner sessions, "
    "a staff token all sessions.",
    query=shapes.SessionWindow,
    answers={
        200: ("Sessions in start order.", list[shapes.Session]),
        422: ("A parameter is missing or invalid (code invalid).", shapes.Error),
    },
)
def sessions() -> ResponseReturnValue:
    """Public sessions on the local days from..to (inclusive), at most 400 days."""
    try:
        window = parse_query(shapes.SessionWindow)
    except HavehusError as error:
        return shapes.refuse(error.code, error.message, 422, error.fields)
    codes = [lang.code for lang in offered_languages()]
    lang = window.lang if window.lang in codes else default_language()
    tz = house_tz()
    found = services.public_sessions_between(
        db.session, window.first, window.last, tz, window.category,
        visibilities=_visible_to_caller(),
    )  # fmt: skip
    return shapes.answer([shapes.Session.of(item, lang, tz) for item in found])


def _visible_to_caller() -> tuple[str, ...]:
    """Anyone sees public sessions; a partner's token also partner ones; staff tokens all."""
    token = bearer_token()
    if token is None:
        return ("public",)
    if token.role == "partner":
        return ("public", "partners")
    return ("public", "partners", "staff")


@describe(
    "The token this request carries",
    description="Lets an integrator check that a token works.",
    token="any",
    answers={200: ("The token's name and role.", shapes.Token)},
)
@token_required()
def me() -> ResponseReturnValue:
    """Which token is this: lets an integrator check a token works (name, role)."""
    token = cast(ApiToken, bearer_token())  # token_required let only live tokens through
    return shapes.answer(shapes.Token(name=token.name, role=token.role))


#: Where the app keeps its OpenAPI document, built once from its routes and shapes.
OPENAPI_KEY = "havehus_openapi"


@describe("This document", answers={200: ("OpenAPI 3.1 JSON.", None)})
def openapi() -> ResponseReturnValue:
    """The API described from its routes and shapes (built once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if OPENAPI_KEY not in app.extensions:
        app.extensions[OPENAPI_KEY] = openapi_document(app)
    return jsonify(app.extensions[OPENAPI_KEY])
