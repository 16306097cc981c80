"""Log lines: JSON in production, readable text in development, each with its request id and
nothing in them that identifies a resident or opens their data.

Every handler havehus sets up (the web's, the worker's, gunicorn's error and access logs, see
`config/gunicorn.conf.py`) carries two filters:

- `RequestIdFilter` puts the id of the web request being answered (or of the request that
  queued the text the worker is sending) on each record as `request_id`;
- `MaskingFilter` rewrites the finished line: phone numbers keep their last two digits,
  capability tokens in paths (`/me/…`, `/bookings/…`, `/feeds/…`, `/staff/invite/…`) and in
  query strings or bearer headers become `…`, `name=…`-style values and every value marked
  sensitive for the current request or job (`sensitive()`: the names and numbers a form
  carried, the person a text goes to) become `[name]`.

Filters on handlers, not loggers, so a record from any logger that reaches a handler is masked.
"""

from __future__ import annotations

import logging
import logging.config
import re
import secrets
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request

from havehus.security import CAPABILITY_PATHS

__all__ = [
    "MaskingFilter",
    "RequestIdFilter",
    "configure",
    "current_request_id",
    "gunicorn_logconfig",
    "logging_config",
    "mask",
    "new_request_id",
    "request_id_from_header",
    "sensitive",
    "use_request_id",
]

_request_id: ContextVar[str | None] = ContextVar("havehus_request_id", default=None)
_sensitive: ContextVar[tuple[str, ...]] = ContextVar("havehus_sensitive", default=())

#: An X-Request-ID we pass on as it is: letters, digits and a few separators, not too long.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{7,63}")

#: A phone number: "+" and 8 to 15 digits (in groups after single spaces or hyphens:
#: "+45 12 34 56 78", "+45-12-34-56-78"), "00" and the same digits ("004512345678"),
#: or a Danish number of 8 digits ("12345678", "12 34 56 78", "1234 5678"); not part of a
#: longer word, path, id, date or decimal, nor a size or a duration ("12345678 bytes").
_PHONE = re.compile(
    r"(?<![\w.+/-])(\+\d{2}(?:[ -]?\d{2,4}){1,6}|\+\d{8,15}|00\d{10,13}"
    r"|\d{2}(?: \d{2}){3}|\d{4} \d{4}|\d{8})"
    r"(?![\w/-])(?!\.\d)(?!\s?(?:bytes|B|ms|µs|s)\b)"
)
_CAPABILITY = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in CAPABILITY_PATHS) + r"|/sessions/\d+/here/)"
    r"[^/\s?#\"'<>]+?(\.ics)?"
    r"(?=[/\s?#\"'<>]|$)"
)
#: A token, a code or a search (a name, a number) in a query string or form (`?token=…`,
#: `&code=…`, `?q=…`), or a bearer header.
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:token|code|key|secret|password|signature|q|name|phone|number)=)[^&\s\"'#]+|(bearer\s+)[^\s\"',]+"
)
#: `name=Anna Hansen`, `name: 'Anna'`, `"name": "Anna"` (up to the next separator).
_NAMED = re.compile(
    r"""(?i)(\b(?:name|full_name|display_name|navn|first_name|last_name|companion)["']?\s*[:=]\s*)"""
    r"""("[^"]*"|'[^']*'|[^,;&)\]}\n]+)"""
)
#: Extra fields (`log.info(..., extra={...})`) whose whole value identifies someone.
_PERSONAL_FIELDS = frozenset({"name", "full_name", "phone", "to", "to_phone", "body", "navn"})
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(1))
    if len(digits) < 8:
        return match.group(0)
    return "[phone …" + digits[-2:] + "]"


def mask(text: str, also: Iterable[str] = ()) -> str:
    """`text` without phone numbers, capability tokens, names after a `name=` and the values
    in `also` (and those marked `sensitive()` for the current request or job)."""
    text = _CAPABILITY.sub(lambda m: f"{m.group(1)}…{m.group(2) or ''}", text)
    text = _QUERY_SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)
    text = _PHONE.sub(_phone, text)
    for value in sorted({*also, *_sensitive.get()}, key=len, reverse=True):
        if len(value) >= 2:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "[name]", text)
    return _NAMED.sub(lambda m: m.group(1) + "[name]", text)


def _words(values: Iterable[str | None]) -> tuple[str, ...]:
    """Each value, and each word of three letters or more in it ("Anna Hansen": also "Anna"
    and "Hansen", which a line may name on their own)."""
    words: list[str] = []
    for value in values:
        if value and value.strip():
            words.append(value.strip())
            parts = value.split()
            if len(parts) > 1:
                words.extend(part for part in parts if len(part) >= 3)
    return tuple(words)


@contextmanager
def sensitive(*values: str | None) -> Iterator[None]:
    """Mask these values (names, numbers) in every log line written inside the block."""
    token = _sensitive.set(_sensitive.get() + _words(values))
    try:
        yield
    finally:
        _sensitive.reset(token)


def add_sensitive(*values: str | None) -> None:
    """Mask these values for the rest of the current context (a web request's, see
    `havehus.core`'s request hooks, which start each request with an empty list)."""
    words = _words(values)
    if words:
        _sensitive.set(_sensitive.get() + words)


def reset_sensitive() -> None:
    _sensitive.set(())


def new_request_id() -> str:
    return secrets.token_hex(16)


def request_id_from_header(raw: str | None) -> str:
    """The client's or proxy's X-Request-ID when it is sane, otherwise a fresh id."""
    if raw is not None and _SANE_REQUEST_ID.fullmatch(raw):
        return raw
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the web request being answered, or of the one whose text is being sent."""
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Make `value` the current request id; returns the token for `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


@contextmanager
def use_request_id(value: str | None) -> Iterator[None]:
    """Log lines written inside the block carry `value` as their request id."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`-` outside any request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


class MaskingFilter(logging.Filter):
    """Rewrites the record's message, traceback and extra fields through `mask`."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRIBUTES or key == "request_id":
                continue
            if key in _PERSONAL_FIELDS and value is not None:
                setattr(record, key, "[masked]")
            elif isinstance(value, str):
                setattr(record, key, mask(value))
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def logging_config(
    *, json: bool, level: str = "INFO", stream: str = "ext://sys.stderr"
) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary: one handler on the root logger, masked,
    with request ids; JSON lines when `json`, else readable text."""
    formatter: dict[str, Any]
    if json:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
            "json_ensure_ascii": False,
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "havehus.logs.RequestIdFilter"},
            "mask": {"()": "havehus.logs.MaskingFilter"},
        },
        "formatters": {"havehus": formatter},
        "handlers": {
            "havehus": {
                "class": "logging.StreamHandler",
                "stream": stream,
                "formatter": "havehus",
                # The request id first: it is itself never masked.
                "filters": ["request_id", "mask"],
            }
        },
        "root": {"level": level, "handlers": ["havehus"]},
        "loggers": {
            "apscheduler": {"level": "WARNING"},
            # The dev server's access lines go through the same handler.
            "werkzeug": {"level": "INFO"},
        },
    }


def gunicorn_logconfig(*, json: bool, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error and access logs through havehus's handler."""
    config = logging_config(json=json, level=level)
    config["loggers"].update(
        {
            "gunicorn.error": {"level": level, "handlers": ["havehus"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["havehus"], "propagate": False},
        }
    )
    return config


def handler(*, json: bool, stream: Any = None) -> logging.Handler:
    """havehus's log handler: masked, with request ids, JSON lines or readable text."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.set_name("havehus")
    made.addFilter(RequestIdFilter())
    made.addFilter(MaskingFilter())
    if json:
        from pythonjsonlogger.json import JsonFormatter

        made.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        made.setFormatter(logging.Formatter(TEXT_FORMAT))
    return made


def configure(*, json: bool, level: str = "INFO") -> None:
    """Set up the process's logging (the CLI's commands, the worker, the dev server): havehus's
    handler on the root logger, in place of one set up before (other handlers stay)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "havehus"]:
        root.removeHandler(old)
    root.addHandler(handler(json=json))
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Flask's own handler on the app's logger would write a second, unmasked line.
    logging.getLogger("havehus").removeHandler(default_handler)
    logging.captureWarnings(True)
    if json:
        sys.excepthook = _log_uncaught


#: Form and JSON fields whose values name or reach a person: masked in the request's log lines.
_PERSONAL_FORM_FIELD = re.compile(r"(?i)^q$|search|name|phone|number|companion|email")


def init_app(app: Flask) -> None:
    """Give each web request its id (the proxy's X-Request-ID when sane), answer it in the
    response header, and mask the names and numbers the request carries in its log lines."""

    @app.before_request
    def _start_request_log() -> None:
        g.request_id = request_id_from_header(request.headers.get("X-Request-ID"))
        g.request_id_token = set_request_id(g.request_id)
        reset_sensitive()
        fields: dict[str, Any] = {}
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields.update(request.form.items())
        elif request.is_json:
            try:
                body = request.get_json(silent=True)
            except (RecursionError, ValueError):  # the view gives its own answer
                body = None
            if isinstance(body, dict):
                fields.update(body)
        fields.update(request.args.items())
        add_sensitive(
            *(
                value
                for key, value in fields.items()
                if isinstance(value, str) and _PERSONAL_FORM_FIELD.search(key)
            )
        )

    @app.after_request
    def _answer_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response

    @app.teardown_request
    def _end_request_log(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            reset_request_id(token)
        reset_sensitive()


def _log_uncaught(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    logging.getLogger("havehus").critical("Uncaught error", exc_info=(kind, error, tb))
