"""Answers given again without running the app, while what decided them still holds.

The public pages, the public calendar feeds and the health check answer every anonymous
visitor alike. Rendering them is already cached (`havehus.program.page_cache`, the feed
cache), but a Flask request around a cached body still costs three times a bare view:
the request context, a dozen hooks, the headers. So the first answer to such a request is
kept whole — status, headers and body, as the app gave it — beside a *condition* the view
named (the versions it was made from still current, the same local day, no session
started or ended since; the database still answering), and an identical request is
answered from it after checking the condition, with a fresh request id. Everything else —
and anything unusual — goes through the app as before:

- only GET, from someone carrying no cookie but the language choice and no credentials,
  with no If-Modified-Since or Range; a conditional request is answered 304 only when the
  app answered the same 304 before (else the app decides);
- "identical" is the same address and query and the same headers the app reads for these
  answers (cookie, languages, encodings, host and proxy headers, Accept);
- an answer is kept only when its view marked it (`replayable`), it is a 200 or a 304, it
  is not `no-store`, and it sets no cookie but the language choice;
- nothing is replayed while the house is in maintenance (the app answers that).

A condition is checked on every replay, so a change made by any process is seen at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Where a view leaves the condition its answer may be replayed under.
ENVIRON_KEY = "havehus.replay"
#: What else of a request the app reads for the answers kept here: the language choice, the
#: encoding, and what addresses are built from. Not the client's address (X-Forwarded-For:
#: no kept answer depends on who asks, and behind a proxy it would keep one copy per visitor)
#: nor Accept (only error and maintenance answers read it, and those are never kept).
_KEYED_HEADERS = (
    "HTTP_COOKIE",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
)
#: A request whose keyed parts are longer than this is answered by the app, never kept (the
#: keys count towards `max_bytes` too).
_MAX_KEY_BYTES = 4096
#: A request with any of these is answered by the app.
_UNREPLAYED_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")
_REQUEST_ID = "X-Request-ID"
_REQUEST_ID_LOWER = _REQUEST_ID.lower()

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]


class Condition(Protocol):
    """What must still be true for a kept answer to be given again."""

    def holds(self) -> bool: ...


@dataclass
class Kept:
    """One request's answers: the full one and, once the app gave it, the 304."""

    condition: Condition
    etag: str | None
    ok: tuple[Headers, bytes] | None = None
    not_modified: Headers | None = None
    #: What this entry counts towards `max_bytes`: its key and its body.
    size: int = 0


@dataclass
class _Answer:
    status: str = ""
    headers: Headers = field(default_factory=list)


def replayable(environ: dict[str, Any], condition: Condition) -> None:
    """Mark this request's answer as one to keep while `condition` holds (views call this
    for what every anonymous visitor sees alike)."""
    environ[ENVIRON_KEY] = condition


def _etag_listed(header: str, etag: str) -> bool:
    """Whether If-None-Match names `etag` (weak comparison, as RFC 9110 asks for GET)."""
    wanted = etag.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


class Replay:
    """WSGI middleware: answers kept from the app, given again while their condition holds."""

    def __init__(
        self,
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        *,
        allowed_cookies: frozenset[str],
        paused: Callable[[], bool],
        request_id: Callable[[str | None], str],
        max_entries: int = 1024,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.allowed_cookies = allowed_cookies
        self.paused = paused
        self.request_id = request_id
        #: The least recently given answers go first past either bound (bodies are counted
        #: in full, though most share their bytes with the page and feed caches).
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[Any, ...], Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        answer = self._replay(key, environ, start_response)
        if answer is not None:
            return answer
        return self._record(key, environ, start_response)

    def _key(self, environ: dict[str, Any]) -> tuple[Any, ...] | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        if any(name in environ for name in _UNREPLAYED_HEADERS):
            return None
        cookie = environ.get("HTTP_COOKIE")
        if cookie is not None and not self._only_allowed_cookies(cookie):
            return None
        key = (
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            *(environ.get(name) for name in _KEYED_HEADERS),
        )
        if _key_bytes(key) > _MAX_KEY_BYTES:
            return None
        return key

    def _only_allowed_cookies(self, header: str) -> bool:
        for part in header.split(";"):
            name = part.split("=", 1)[0].strip()
            if name and name not in self.allowed_cookies:
                return False
        return True

    def _replay(
        self, key: tuple[Any, ...], environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes] | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            return None
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            if kept.not_modified is None or not (
                kept.etag and _etag_listed(if_none_match, kept.etag)
            ):
                return None
            status, headers, body = "304 NOT MODIFIED", kept.not_modified, b""
        elif kept.ok is not None:
            status, (headers, body) = "200 OK", kept.ok
        else:
            return None
        if self.paused() or not self._holds(kept.condition):
            self._forget(key, kept)
            return None
        request_id = self.request_id(environ.get("HTTP_X_REQUEST_ID"))
        start_response(status, [*headers, (_REQUEST_ID, request_id)])
        return [body] if body else []

    @staticmethod
    def _holds(condition: Condition) -> bool:
        """Whether the condition holds; one that cannot be checked (the database is gone)
        does not, and the app gives its own answer to that."""
        try:
            return condition.holds()
        except Exception:  # noqa: BLE001  (whatever it is, the app answers instead)
            return False

    def _forget(self, key: tuple[Any, ...], kept: Kept) -> None:
        with self._lock:
            if self._kept.get(key) is kept:
                self._drop(key)

    def _drop(self, key: tuple[Any, ...]) -> None:
        """Remove one entry (the lock held)."""
        self._bytes -= self._kept.pop(key).size

    def _record(
        self, key: tuple[Any, ...], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        answer = _Answer()

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Any:
            answer.status, answer.headers = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        condition = environ.get(ENVIRON_KEY)
        code = answer.status[:3]
        if condition is None or code not in ("200", "304") or not self._keepable(answer.headers):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        headers = [
            (name, value) for name, value in answer.headers if name.lower() != _REQUEST_ID_LOWER
        ]
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._drop(key)
                if kept.etag != etag:
                    kept = None
            kept = kept or Kept(condition, etag)
            kept.condition = condition
            if code == "200":
                kept.ok = (headers, content)
            else:
                kept.not_modified = headers
            kept.size = _key_bytes(key) + (len(kept.ok[1]) if kept.ok is not None else 0)
            self._kept[key] = kept
            self._bytes += kept.size
            while self._kept and (
                len(self._kept) > self.max_entries or self._bytes > self.max_bytes
            ):
                self._drop(next(iter(self._kept)))
        return [content]

    def _keepable(self, headers: Headers) -> bool:
        for name, value in headers:
            lowered = name.lower()
            if lowered == "cache-control" and "no-store" in value:
                return False
            if lowered == "set-cookie":
                cookie_name = value.split("=", 1)[0].strip()
                if cookie_name not in self.allowed_cookies:
                    return False
        return True


def _key_bytes(key: tuple[Any, ...]) -> int:
    return sum(len(part) for part in key if isinstance(part, str))
