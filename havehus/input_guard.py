"""What every request's input must be, checked once for all routes before any view runs.

- An id in an address (`<int:...>`) is a number an integer column can hold: a larger one
  names nothing that can exist, so the route does not match (404) and no query is made.
- An address and a query string hold no control characters, and a form no NUL: no browser
  sends them, PostgreSQL refuses NUL in text, and a line break in a value may end up in a
  header or a calendar line. They are refused with a clear 400 (the API: its 422 "invalid",
  naming the parameter). Which control characters a form's field may hold (a text area keeps
  its line breaks) is the forms' own rule (`havehus.webforms`).
- Views that must answer whatever arrives (Twilio's webhooks: a refusal would be retried
  forever) are marked with `takes_raw_input` and check their own input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter, Map

from havehus.dbutil import INT32_MAX, db_int
from havehus.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_RAW_INPUT = "_havehus_takes_raw_input"


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>`: a non-negative number up to the largest an integer column holds."""

    def __init__(
        self,
        map: Map,  # noqa: A002  (Werkzeug's name)
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        limit = INT32_MAX if max is None or max > INT32_MAX else max
        super().__init__(map, fixed_digits, min, limit, signed)


def takes_raw_input(view: F) -> F:
    """Mark a view that reads whatever arrives and checks it itself (webhooks)."""
    setattr(view, _RAW_INPUT, True)
    return view


def page_number() -> int:
    """The page of a paged list: ?page=N, or 1 when it is missing or no page could be N."""
    return max(request.args.get("page", 1, type=db_int), 1)


def _bad(pairs: Iterable[tuple[str, Any]], pattern: re.Pattern[str]) -> list[str]:
    return [
        name
        for name, value in pairs
        if pattern.search(name) or (isinstance(value, str) and pattern.search(value))
    ]


def refuse_hostile_input() -> None:
    """Before every view: no control character in the address, no NUL in a form."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, _RAW_INPUT, False):
        return
    environ = request.environ
    fields = _bad((request.view_args or {}).items(), _CONTROL)
    if environ.get("QUERY_STRING"):  # most requests have none: nothing to parse
        fields += _bad(request.args.items(multi=True), _CONTROL)
    if environ.get("CONTENT_TYPE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        fields += _bad(request.form.items(multi=True), re.compile("\x00"))
    if fields:
        raise InvalidInput(list(dict.fromkeys(fields)))


def init_app(app: Flask) -> None:
    """Install the converter (before any blueprint adds its rules) and the check."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(refuse_hostile_input)
