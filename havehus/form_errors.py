"""A service's HavehusError shown on the form that caused it: each message next to its field."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_wtf import FlaskForm

from havehus.errors import HavehusError


def show_errors(
    form: FlaskForm,
    error: HavehusError,
    fields: Mapping[str, str] | None = None,
    *,
    codes: Mapping[str, str] | None = None,
) -> None:
    """Put the error's messages next to the form's fields; what has no field becomes a flash.

    `fields` maps the service's field names to the form's where they differ (e.g.
    ``{"room_id": "room"}``); `codes` names the field for an error that carries no fields,
    by its code (e.g. ``{"invalid_phone": "phone"}``).
    """
    messages = dict(error.fields)
    if not messages and codes and error.code in codes:
        messages = {codes[error.code]: error.message}
    unplaced = []
    for name, message in messages.items():
        target = (fields or {}).get(name, name)
        if target in form:
            form[target].errors = [*form[target].errors, message]
        else:
            unplaced.append(message)
    if not messages or unplaced:
        # The general message first; a field message the form cannot place follows it once.
        flash(" ".join(dict.fromkeys([error.message, *unplaced])), "error")
