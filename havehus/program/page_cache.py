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

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from sqlalchemy import Engine, func, select
from werkzeug.wrappers import Response

from havehus.config import Settings, current_settings, settings_of
from havehus.core.replay import replayable
from havehus.extensions import db
from havehus.models import Session
from havehus.orm import OrmSession
from havehus.program.services import read_version_numbers
from havehus.timeutil import clock_of, utcnow

#: Bump when a cached page's markup changes in a way its key does not show (never needed for
#: a deploy: a new process starts with an empty cache; kept for ETags that browsers hold).
FORMAT = "1"
_EXTENSION = "havehus.page_cache"
#: Times before a session's start at which a page changes, besides the start itself and the
#: close of sign-up (the kiosk adds when "I am here" opens).
DEFAULT_LEADS: tuple[timedelta, ...] = ()


@dataclass(frozen=True)
class CachedPage:
    etag: str
    body: bytes


class PageCache:
    """This process's rendered public pages, the least used dropped first; and the next
    moment a page may change by time alone, for the current program version."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple[object, ...], CachedPage] = OrderedDict()
        #: (program version, leads) → (the instant it was found at, the next moment or None).
        self._next: dict[tuple[object, ...], tuple[datetime, datetime | None]] = {}
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

    def next_moment(
        self,
        key: tuple[object, ...],
        now: datetime,
        find: Callable[[], datetime | None],
    ) -> datetime | None:
        """The next moment after `now` for a (program version, leads) key: found again only
        when it has passed (or the clock went back, as tests make it)."""
        known = self._next.get(key)
        if known is not None:
            found_at, moment = known
            if found_at <= now and (moment is None or now < moment):
                return moment
        moment = find()
        with self._lock:
            # Only the current program version's moments are asked for again (one per set of
            # leads: the pages', the kiosk's).
            kept = {k: v for k, v in self._next.items() if k[0] == key[0]}
            self._next = {**kept, key: (now, moment)}
        return moment

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._next = {}


@dataclass(frozen=True)
class PageStillCurrent:
    """A replay condition (`havehus.core.replay`): everything a public page's key is made
    of is unchanged — the settings, both versions, the local day, and no session has
    started or ended (nor its sign-up closed) since the page was made."""

    app: Flask
    settings: Settings
    engine: Engine
    versions: tuple[int, int]
    made_at: datetime
    moment: datetime | None
    day: date

    def holds(self) -> bool:
        if settings_of(self.app) is not self.settings:
            return False
        now = clock_of(self.app)()
        if now < self.made_at or (self.moment is not None and now >= self.moment):
            return False
        if now.astimezone(self.settings.tz).date() != self.day:
            return False
        return read_version_numbers(self.engine) == self.versions


def next_session_moment(
    orm: OrmSession, now: datetime, leads: Sequence[timedelta]
) -> datetime | None:
    """The first instant after `now` at which a page may change by time alone: a session's
    start or end, or its start less a lead (sign-up closes, check-in opens). One statement,
    each part an indexed minimum."""
    parts = [select(func.min(Session.ends_at)).where(Session.ends_at > now).scalar_subquery()]
    parts += [
        select(func.min(Session.starts_at)).where(Session.starts_at > now + lead).scalar_subquery()
        for lead in leads
    ]
    row = orm.execute(select(*parts)).one()
    found = [moment - lead for moment, lead in zip(row[1:], leads, strict=True) if moment]
    if row[0] is not None:
        found.append(row[0])
    return min(found) if found else None


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
    versions: tuple[int, int], day: date, moment: datetime | None, variant: tuple[object, ...]
) -> tuple[object, ...]:
    """What decides a public page: its address, language, the versions, the day, the time."""
    locale = get_locale()
    return (
        FORMAT,
        request.path,
        request.query_string,
        str(locale) if locale else "",
        *versions,
        day.isoformat(),
        moment.isoformat() if moment else "",
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
    settings = current_settings()
    closes = timedelta(minutes=settings.signup_closes_minutes)
    all_leads = tuple(sorted({timedelta(0), closes, *leads}))
    engine = db.engine
    versions = read_version_numbers(engine)
    cache = _cache()
    moment = cache.next_moment(
        (versions[0], all_leads), now, lambda: next_session_moment(db.session, now, all_leads)
    )
    day = now.astimezone(settings.tz).date()
    key = page_key(versions, day, moment, variant)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    still = PageStillCurrent(app, settings, engine, versions, now, moment, day)
    replayable(request.environ, still)
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
