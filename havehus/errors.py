"""The error type services raise, and the pages and JSON answers for HTTP errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from havehus.extensions import db
from havehus.security import redact_path


class HavehusError(Exception):
    """A rule was broken: carries a translated message and a stable code for machines."""

    def __init__(self, message: str, code: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}


class InvalidInput(BadRequest):
    """A request whose address, query or form holds characters no visitor types (NUL, line
    breaks in an address): refused before any view, naming the parameters or fields."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__()
        self.fields = fields


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _wants_json() -> bool:
    return _is_api() or request.accept_mimetypes.best == "application/json"


def _describe(status: int) -> tuple[str, str]:
    if status == 404:
        return _("Page not found"), _("We could not find this page. It may have moved.")
    if status == 405:
        return _("Not allowed"), _("This page cannot be used like that.")
    if status == 429:
        return _("Too many tries"), _("Please wait a few minutes and try again.")
    if status >= 500:
        return (
            _("Something went wrong"),
            _("It is our fault, not yours. Please try again in a moment."),
        )
    return _("Something is not right"), _("Please go back and try again.")


def _invalid_input(error: InvalidInput) -> tuple[Any, int]:
    message = _("Must not contain control characters.")
    if _is_api():
        # The API's own answer to a bad parameter or field: 422 "invalid", one message each.
        fields = dict.fromkeys(error.fields, message)
        return json_error("invalid", _("Some fields are not valid."), 422, fields=fields)
    title = _("Something is not right")
    text = _(
        "The address or the form held a character that is not allowed here (a control "
        "character such as a line break). Please remove it and try again."
    )
    if _wants_json():
        return jsonify(code="invalid", message=text, fields=error.fields), 400
    return render_template("errors/error.html", status=400, title=title, text=text), 400


def handle_http_error(error: HTTPException) -> tuple[Any, int]:
    if isinstance(error, InvalidInput):
        return _invalid_input(error)
    status = error.code or 500
    if status >= 500:
        # The request may have left a failed transaction behind; never reuse it.
        db.session.rollback()
    title, text = _describe(status)
    if _wants_json():
        return jsonify(code=error.name.lower().replace(" ", "_"), message=text), status
    return render_template("errors/error.html", status=status, title=title, text=text), status


def handle_unexpected(error: Exception) -> tuple[Any, int]:
    # Never the token of a capability link (/me/<token>…): logs are read by more people.
    current_app.logger.exception(
        "Unhandled error on %s %s", request.method, redact_path(request.path)
    )
    return handle_http_error(InternalServerError(original_exception=error))


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)


def json_error(code: str, message: str, status: int, **extra: Any) -> tuple[Response, int]:
    """A JSON error body with a stable code, as the API documents."""
    return jsonify(code=code, message=message, **extra), status
