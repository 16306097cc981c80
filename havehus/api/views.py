"""The JSON API (/api/v1): parse, call the domain service, answer JSON."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.api.openapi import openapi_document
from havehus.api.serializers import session_json
from havehus.errors import json_error
from havehus.extensions import db
from havehus.i18n import default_language, offered_languages
from havehus.models import ApiToken
from havehus.models.program import CATEGORIES
from havehus.people.access import bearer_token, client_ip, token_required
from havehus.program import services
from havehus.ratelimit import FixedWindowLimiter
from havehus.timeutil import house_tz

bp = Blueprint("api", __name__, url_prefix="/api/v1")
LIMITER_KEY = "havehus_api_limiter"


@bp.before_request
def _rate_limit() -> ResponseReturnValue | None:
    """Bearer-token callers (who book for many people) get their own, higher limit."""
    token = bearer_token()
    config = current_app.config
    if token is not None:
        key, limit = f"token:{token.id}", int(config["HAVEHUS_API_TOKEN_REQUESTS_PER_MINUTE"])
    else:
        key, limit = f"ip:{client_ip()}", int(config["HAVEHUS_API_PUBLIC_REQUESTS_PER_MINUTE"])
    limiter = current_app.extensions.setdefault(LIMITER_KEY, FixedWindowLimiter())
    retry_after = limiter.hit(key, limit)
    if retry_after is None:
        return None
    response, status = json_error("rate_limited", _("Too many requests. Wait a minute."), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response, status


#: The longest window /api/v1/sessions answers for, in days (inclusive).
MAX_WINDOW_DAYS = 400


def _parse_date(name: str, fields: dict[str, str]) -> date | None:
    raw = request.args.get(name)
    if not raw:
        fields[name] = _("Required, as YYYY-MM-DD.")
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fields[name] = _("Not a date; use YYYY-MM-DD.")
        return None


@bp.get("/sessions")
def sessions() -> ResponseReturnValue:
    """Public sessions on the local days from..to (inclusive), at most 400 days."""
    fields: dict[str, str] = {}
    first, last = _parse_date("from", fields), _parse_date("to", fields)
    if first and last:
        if last < first:
            fields["to"] = _("Must be on or after from.")
        elif last - first >= timedelta(days=MAX_WINDOW_DAYS):
            fields["to"] = _("The window may be at most %(days)d days.", days=MAX_WINDOW_DAYS)
    category = request.args.get("category") or None
    if category and category not in CATEGORIES:
        fields["category"] = _("Unknown category.")
    codes = [lang.code for lang in offered_languages()]
    lang = request.args.get("lang")
    lang = lang if lang in codes else default_language()
    if fields or first is None or last is None:
        return json_error("invalid", _("Some parameters are not valid."), 422, fields=fields)
    tz = house_tz()
    found = services.public_sessions_between(
        db.session, first, last, tz, category, visibilities=_visible_to_caller()
    )
    return jsonify([session_json(item, lang, tz) for item in found])


def _visible_to_caller() -> tuple[str, ...]:
    """Anyone sees public sessions; a partner's token also partner ones; staff tokens all."""
    token = bearer_token()
    if token is None:
        return ("public",)
    if token.role == "partner":
        return ("public", "partners")
    return ("public", "partners", "staff")


@bp.get("/me")
@token_required()
def me() -> ResponseReturnValue:
    """Which token is this: lets an integrator check a token works (name, role)."""
    token = cast(ApiToken, bearer_token())  # token_required let only live tokens through
    return jsonify(name=token.name, role=token.role)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
