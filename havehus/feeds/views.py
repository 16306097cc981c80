"""Calendar feeds (.ics) and the page that explains how to subscribe to them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.engine import Connection, Engine
from werkzeug.wrappers import Response

from havehus.config import Settings, current_settings, settings_of
from havehus.core.replay import replayable
from havehus.database import read_only_transactions
from havehus.extensions import db
from havehus.feeds import services, tokens
from havehus.feeds.links import webcal_address
from havehus.feeds.services import FeedCache, FeedSettings, FeedSpec, FeedState
from havehus.i18n import current_language, default_language
from havehus.timeutil import clock_of, house_tz, utcnow

bp = Blueprint("feeds", __name__)

ICS_MIMETYPE = "text/calendar"
#: Calendar apps are told to poll hourly (REFRESH-INTERVAL); caches may keep a feed as long.
MAX_AGE = int(services.REFRESH.total_seconds())
_CACHE_KEY = "havehus.feeds"


@bp.record_once
def _install_cache(state: BlueprintSetupState) -> None:
    # One cache per app: tests and several apps in one process never see each other's feeds.
    state.app.extensions[_CACHE_KEY] = FeedCache()


@bp.app_template_filter("webcal")
def webcal_filter(path: str) -> str:
    """A feed's path as a webcal:// address on the public URL, for "subscribe" buttons."""
    return webcal_address(current_settings().public_url.rstrip("/") + path)


def _settings() -> FeedSettings:
    config = current_settings()
    return FeedSettings(
        tz=house_tz(),
        public_url=config.public_url.rstrip("/"),
        site_name=config.site_name,
        default_language=default_language(),
    )


def _language(preferred: str | None = None) -> str:
    offered = current_settings().languages
    return services.feed_language(request.args.get("lang"), preferred, offered)


_VERSION_KEY = "havehus_feed_program_version"


def _recent_program_version(
    app: Flask, connection: Connection | None = None
) -> services.ProgramStamp | None:
    """The program version, read at most once per `feed_version_seconds` in this process.

    Calendar apps poll hourly; a change made by any process is still seen within that time.
    Without a connection, returns the remembered version while it is fresh, else None.
    """
    ttl = float(settings_of(app).feed_version_seconds)
    remembered = app.extensions.get(_VERSION_KEY)
    clock = time.monotonic()
    if remembered is not None and ttl > 0 and clock - remembered[0] < ttl:
        return remembered[1]
    if connection is None:
        return None
    stamp = services.read_program_version(connection)
    app.extensions[_VERSION_KEY] = (clock, stamp)
    return stamp


@dataclass(frozen=True)
class FeedStillCurrent:
    """A replay condition (`havehus.core.replay`) for a public feed: the settings and the
    program version (as recently read as the feeds read it) are the ones it was made from,
    and a feed that shows a window from today is still on the same local day."""

    app: Flask
    settings: Settings
    engine: Engine
    program: int
    made_at: datetime
    day: date | None

    def holds(self) -> bool:
        if settings_of(self.app) is not self.settings:
            return False
        if self.day is not None:
            now = clock_of(self.app)()
            if now < self.made_at or now.astimezone(self.settings.tz).date() != self.day:
                return False
        stamp = _recent_program_version(self.app)
        if stamp is None:
            # Outside any request: a read, never SQLite's write lock (behind a booking).
            with read_only_transactions(), self.engine.connect() as connection:
                stamp = _recent_program_version(self.app, connection)
        return stamp is not None and stamp.program == self.program


def _not_modified(state: FeedState) -> bool:
    """Whether the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if request.if_none_match:
        # Weak comparison (RFC 9110): the plain and the gzip tag name the same feed.
        tags = (state.etag, f"{state.etag}-gz")
        return any(request.if_none_match.contains_weak(tag) for tag in tags)
    since = request.if_modified_since
    if since is None or state.last_modified is None:
        return False
    return state.last_modified.replace(microsecond=0) <= since


def _serve(spec: FeedSpec | None, now: datetime, filename: str | None = None) -> Response:
    if spec is None:
        abort(404)
    settings = _settings()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    program = _recent_program_version(app)
    if program is not None and spec.kind != "personal":
        state = services.feed_state(None, spec, now, settings, program)
    else:
        # All a 304 needs is this check; on a bare connection it costs half what a session does.
        with db.engine.connect() as connection:
            program = _recent_program_version(app, connection)
            state = services.feed_state(connection, spec, now, settings, program)
    if spec.is_public and program is not None:
        # The same for everyone who asks: given again while the program stays as it is.
        day = now.astimezone(settings.tz).date() if spec.windowed else None
        still = FeedStillCurrent(app, current_settings(), db.engine, program.program, now, day)
        replayable(request.environ, still)
    gzipped = "gzip" in request.accept_encodings
    if _not_modified(state):
        response = Response(status=304, mimetype=ICS_MIMETYPE)
    else:
        feed = services.cached_feed(
            db.session, spec, state, now, settings, current_app.extensions[_CACHE_KEY]
        )
        response = Response(feed.gzipped if gzipped else feed.body, mimetype=ICS_MIMETYPE)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        if filename:
            response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # A compressed body is another representation: it gets its own strong tag.
    response.set_etag(f"{state.etag}-gz" if gzipped else state.etag)
    if state.last_modified is not None:
        response.last_modified = state.last_modified
    privacy = "public" if spec.is_public else "private"
    response.headers["Cache-Control"] = f"{privacy}, max-age={MAX_AGE}"
    response.vary.add("Accept-Encoding")
    if not spec.is_public:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _serve_token(raw: str, kind: str) -> Response:
    now = utcnow()
    token = tokens.find_feed_token(db.session, raw, kind)
    if token is None:
        abort(404)
    response = _serve(services.token_feed(token, _language(token.language)), now)
    tokens.record_feed_use(db.session, token, now)
    return response


@bp.get("/calendar.ics")
def program_calendar() -> Response:
    return _serve(services.public_feed(_language()), utcnow())


@bp.get("/calendar/<category>.ics")
def category_calendar(category: str) -> Response:
    return _serve(services.category_feed(category, _language()), utcnow())


@bp.get("/activities/<slug>.ics")
def activity_calendar(slug: str) -> Response:
    return _serve(services.activity_feed(db.session, slug, _language()), utcnow())


@bp.get("/sessions/<int:session_id>.ics")
def session_calendar(session_id: int) -> Response:
    spec = services.session_feed(db.session, session_id, _language())
    return _serve(spec, utcnow(), filename=f"session-{session_id}.ics")


@bp.get("/feeds/<token>.ics")
def partner_calendar(token: str) -> Response:
    return _serve_token(token, "partner")


@bp.get("/me/<token>.ics")
def personal_calendar(token: str) -> Response:
    return _serve_token(token, "personal")


@bp.get("/calendar")
def subscribe() -> str:
    code = current_language().code
    language = None if code == default_language() else code
    public_url = current_settings().public_url
    links = services.subscribe_links(db.session, public_url, language)
    return render_template(
        "feeds/subscribe.html", program=links.program, categories=links.categories
    )
