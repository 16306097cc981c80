"""Public pages served from memory: what every anonymous visitor sees alike, rendered once.

The week page, an activity's page, a session's page and the kiosk's listing change only when
the program changes (the program version), when seats change (the seats version), at local
midnight, and when a session starts or ends, its sign-up closes or its check-in opens. Those
are the cache key, with the page's address and language; both versions are read from the
database on every request, so a change made by any process (another worker, the CLI, the
worker) is seen at once.

Only requests that carry nothing personal are served from here: no one signed in and no
message waiting to be shown (both live in the session cookie). Any other request renders the
page as before. A cached page is the same bytes for the same key in every process, so its
ETag is the key's digest and a browser's copy is answered with 304 Not Modified.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from sqlalchemy import select
from werkzeug.wrappers import Response

from havehus.extensions import db
from havehus.models import Session
from havehus.orm import OrmSession
from havehus.program.services import read_version_numbers
from havehus.timeutil import house_tz, local_to_utc, utcnow

#: Bump when a cached page's markup changes in a way its key does not show (never needed for
#: a deploy: a new process starts with an empty cache; kept for ETags that browsers hold).
FORMAT = "1"
_EXTENSION = "havehus.page_cache"
#: How far ahead session times are looked at for the next moment a page changes by itself.
_AHEAD = timedelta(days=400)
#: Times before a session's start at which a page changes, besides the start itself and the
#: close of sign-up (the kiosk adds when "I am here" opens).
DEFAULT_LEADS: tuple[timedelta, ...] = ()


@dataclass(frozen=True)
class CachedPage:
    etag: str
    body: bytes


class PageCache:
    """This process's rendered public pages, the least used dropped first, and the moments
    (session starts and ends, less each lead time) of the current program version."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple[object, ...], CachedPage] = OrderedDict()
        self._moments: dict[tuple[object, ...], list[datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[object, ...], page: CachedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def moments(
        self, key: tuple[object, ...], load: Callable[[], list[datetime]]
    ) -> list[datetime]:
        """The sorted moments for a (program version, day, leads) key, loaded once."""
        found = self._moments.get(key)
        if found is None:
            found = load()
            with self._lock:
                # Only the current program version's moments are ever asked for again.
                self._moments = {key: found}
        return found

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._moments = {}


def session_moments(
    orm: OrmSession, today: date, tz: ZoneInfo, leads: Sequence[timedelta]
) -> list[datetime]:
    """Every instant at which a page may change by time alone: each session's start and end,
    and its start less each lead (sign-up closes, check-in opens), from yesterday on."""
    since = local_to_utc(today - timedelta(days=1), time(0), tz)
    rows = orm.execute(
        select(Session.starts_at, Session.ends_at).where(
            Session.ends_at > since, Session.starts_at < since + _AHEAD
        )
    )
    moments: set[datetime] = set()
    for starts_at, ends_at in rows:
        moments.add(ends_at)
        moments.update(starts_at - lead for lead in leads)
    return sorted(moments)


def _anonymous() -> bool:
    """Nothing personal can be on the page: no one signed in, no message waiting to be shown."""
    if "HTTP_COOKIE" not in request.environ:
        return True
    config = current_app.config
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if config["SESSION_COOKIE_NAME"] not in request.cookies:
        return True
    return "_user_id" not in session and "_flashes" not in session


def _cache() -> PageCache:
    cache: PageCache = current_app.extensions[_EXTENSION]
    return cache


def page_key(
    versions: tuple[int, int], now: datetime, moments: list[datetime], variant: tuple[object, ...]
) -> tuple[object, ...]:
    """What decides a public page: its address, language, the versions, the day, the time."""
    tz = house_tz()
    locale = get_locale()
    upcoming = bisect.bisect_right(moments, now)
    next_moment = moments[upcoming].isoformat() if upcoming < len(moments) else ""
    return (
        FORMAT,
        request.path,
        request.query_string,
        str(locale) if locale else "",
        *versions,
        now.astimezone(tz).date().isoformat(),
        next_moment,
        *variant,
    )


def public_page(
    render: Callable[[], str],
    *,
    variant: tuple[object, ...] = (),
    leads: Sequence[timedelta] = DEFAULT_LEADS,
) -> Response | str:
    """The page from this process's cache, rendered by `render` only when its key is new;
    304 when the browser's copy is current. Requests with anything personal just render.

    `variant` names what else the page shows (the kiosk: whether the tablet is enrolled);
    `leads` are the times before a session's start at which the page changes (sign-up closes
    is always one).
    """
    if request.method not in ("GET", "HEAD") or not _anonymous():
        return render()
    now = utcnow()
    tz = house_tz()
    today = now.astimezone(tz).date()
    closes = timedelta(minutes=int(current_app.config["HAVEHUS_SIGNUP_CLOSES_MINUTES"]))
    all_leads = tuple(sorted({timedelta(0), closes, *leads}))
    versions = read_version_numbers(db.engine)
    cache = _cache()
    moments = cache.moments(
        (versions[0], today, all_leads),
        lambda: session_moments(db.session, today, tz, all_leads),
    )
    key = page_key(versions, now, moments, variant)
    etag = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        page = cache.get(key)
        if page is None:
            page = CachedPage(etag, render().encode())
            cache.put(key, page)
        response = Response(page.body, mimetype="text/html")
    response.set_etag(etag)
    # Any copy is checked again before use (cheap: a 304), so no one sees an old seat count.
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = PageCache()
