"""Calendar feeds: which sessions a feed holds, its ICS text, its version and its cache."""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from icalendar import (
    Alarm,
    Calendar,
    Event,
    vDuration,
    vText,
)
from sqlalchemy import Connection, Select, func, or_, select
from sqlalchemy.orm import selectinload

from havehus.feeds.links import FeedLink, feed_link
from havehus.feeds.vtimezone import vtimezone
from havehus.i18n import pick
from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    FeedToken,
    Mode,
    Session,
    SessionStatus,
)
from havehus.models.program import CATEGORIES
from havehus.models.signup import OPEN
from havehus.orm import OrmSession
from havehus.program.labels import CATEGORY_LABELS
from havehus.program.services import Versions, read_versions
from havehus.timeutil import local_to_utc

#: Bump when the ICS output changes shape, so every ETag changes with the code.
#: 2: VTIMEZONE as yearly RRULEs instead of one RDATE with every change.
#: 3: every text escaped by the library and freed of control characters (X-WR-CALNAME too).
FORMAT_VERSION = "3"
#: Past sessions stay this long, so cancelled ones reach subscribed calendars and vanish there.
DAYS_BACK = 30
#: However far the program has been expanded, a feed never reaches further than this.
MAX_DAYS_AHEAD = 400
#: How often calendar apps are asked to fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: Bookings that put a session in the person's own feed.
PERSONAL_STATUSES = OPEN
PRODID = "-//havehus//Calendar feeds//EN"

#: What no calendar line may hold: control characters (RFC 5545 TEXT keeps only tab) and the
#: Unicode line and paragraph separators some readers break lines at. Input refuses them now,
#: but rows written before may still hold some.
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def ics_text(value: str) -> vText:
    """A TEXT value for a feed: line breaks kept (the library writes them as \\n and escapes
    commas, semicolons and backslashes), a bare CR read as a line break, other controls dropped.
    """
    lines = value.replace("\r\n", "\n").replace("\r", "\n")
    return vText(_NOT_IN_TEXT.sub("", lines))


FeedKind = Literal["public", "category", "activity", "session", "partner", "personal"]


@dataclass(frozen=True)
class FeedSettings:
    """The installation's values a feed depends on."""

    tz: ZoneInfo
    public_url: str
    site_name: str
    default_language: str


@dataclass(frozen=True)
class FeedSpec:
    """What one feed holds: its identity, filters and language."""

    kind: FeedKind
    #: Names the feed in caches and ETags, e.g. "category:food" or "partner:12".
    key: str
    language: str
    categories: tuple[str, ...] = ()
    activity_id: int | None = None
    session_id: int | None = None
    participant_id: int | None = None
    #: Per-language titles of an activity or session feed; the name of a partner feed.
    titles: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_public(self) -> bool:
        """Anyone may fetch it: shared caches may keep it."""
        return self.kind not in ("partner", "personal")

    @property
    def windowed(self) -> bool:
        return self.kind != "session"


@dataclass(frozen=True)
class FeedState:
    """The feed's current version, known without building it."""

    fingerprint: str
    last_modified: datetime | None

    @property
    def etag(self) -> str:
        return self.fingerprint


@dataclass(frozen=True)
class Feed:
    """A built feed, plain and compressed; identical bytes for an identical fingerprint."""

    fingerprint: str
    body: bytes
    gzipped: bytes


def feed_language(requested: str | None, preferred: str | None, offered: Sequence[str]) -> str:
    """?lang= if offered, else the token's language if offered, else the default (first)."""
    for code in (requested, preferred):
        if code and code in offered:
            return code
    return offered[0]


# ---------------------------------------------------------------- which feed


def public_feed(language: str) -> FeedSpec:
    return FeedSpec(kind="public", key="public", language=language)


def category_feed(category: str, language: str) -> FeedSpec | None:
    """Public sessions of one category; None for a category that does not exist."""
    if category not in CATEGORIES:
        return None
    return FeedSpec(
        kind="category", key=f"category:{category}", language=language, categories=(category,)
    )


def activity_feed(orm: OrmSession, slug: str, language: str) -> FeedSpec | None:
    """Every session of one public activity; None if there is no such public activity."""
    row = orm.execute(
        select(Activity.id, Activity.title).where(
            Activity.slug == slug, Activity.visibility == "public", Activity.archived_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return FeedSpec(
        kind="activity",
        key=f"activity:{row.id}",
        language=language,
        activity_id=row.id,
        titles=dict(row.title or {}),
    )


def session_feed(orm: OrmSession, session_id: int, language: str) -> FeedSpec | None:
    """One public session ("add to calendar"); None if there is no such public session."""
    row = orm.execute(
        select(Session.id, Activity.title)
        .join(Session.activity)
        .where(
            Session.id == session_id,
            Activity.visibility == "public",
            Activity.archived_at.is_(None),
            Session.imported.is_(False),
        )
    ).first()
    if row is None:
        return None
    return FeedSpec(
        kind="session",
        key=f"session:{row.id}",
        language=language,
        session_id=row.id,
        titles=dict(row.title or {}),
    )


def token_feed(token: FeedToken, language: str) -> FeedSpec:
    """A partner's filtered feed or a participant's own bookings, as the token says."""
    if token.kind == "personal":
        return FeedSpec(
            kind="personal",
            key=f"personal:{token.id}",
            language=language,
            participant_id=token.participant_id,
        )
    return FeedSpec(
        kind="partner",
        key=f"partner:{token.id}",
        language=language,
        categories=tuple(token.categories or ()),
        titles={language: token.name} if token.name else {},
    )


# ---------------------------------------------------------------- version


def feed_window(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From local midnight 30 days ago to at most 400 days ahead, as UTC instants."""
    today = now.astimezone(tz).date()
    return (
        local_to_utc(today - timedelta(days=DAYS_BACK), time(0), tz),
        local_to_utc(today + timedelta(days=MAX_DAYS_AHEAD), time(0), tz),
    )


ProgramStamp = Versions


def read_program_version(connection: OrmSession | Connection) -> ProgramStamp:
    """The program's and the seats' versions and when each last changed (one query)."""
    return read_versions(connection)


def feed_state(
    orm: OrmSession | Connection | None,
    spec: FeedSpec,
    now: datetime,
    settings: FeedSettings,
    program: ProgramStamp | None = None,
) -> FeedState:
    """The feed's version and last change, from a query or two and no building.

    `program` may be given (recently read versions); `orm` is then needed only for personal
    feeds, which depend on one person's bookings.
    """
    if program is None:
        assert orm is not None, "either a connection or the program version is needed"
        program = read_program_version(orm)
    parts: list[object] = [
        FORMAT_VERSION,
        spec.key,
        spec.language,
        program.program,
        settings.public_url,
        settings.site_name,
        settings.tz.key,
    ]
    moments = [program.changed_at]
    if spec.windowed:
        # The window moves at local midnight, so the feed may change then without any edit.
        start, _end = feed_window(now, settings.tz)
        parts.append(start.isoformat())
        moments.append(local_to_utc(now.astimezone(settings.tz).date(), time(0), settings.tz))
    if spec.kind == "partner":
        # Partner feeds show seats left: bookings, cancellations and check-ins move the seats
        # version. The public feeds show no seats, so a booking does not rebuild them.
        parts.append(f"seats:{program.seats}")
        moments.append(program.seats_changed_at)
    if spec.kind == "personal":
        # One's own bookings: every booking change sets its updated_at.
        bookings = select(func.count(Booking.id), func.max(Booking.updated_at)).where(
            Booking.participant_id == spec.participant_id
        )
        assert orm is not None, "personal feeds read the bookings"
        count, latest = orm.execute(bookings).one()
        parts += [count, latest.isoformat() if latest else ""]
        moments.append(latest)
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    known = [moment for moment in moments if moment is not None]
    return FeedState(fingerprint=digest, last_modified=max(known) if known else None)


# ---------------------------------------------------------------- building


def _feed_query(spec: FeedSpec, now: datetime, tz: ZoneInfo) -> Select[Any]:
    query = (
        select(Session)
        .join(Session.activity)
        .where(Activity.archived_at.is_(None), Session.imported.is_(False))
        # Few activities, many sessions: load each activity and place once, not per row.
        .options(
            selectinload(Session.activity).selectinload(Activity.location),
            selectinload(Session.activity).selectinload(Activity.room),
            selectinload(Session.location),
            selectinload(Session.room),
        )
        .order_by(Session.starts_at, Session.id)
    )
    if spec.windowed:
        start, end = feed_window(now, tz)
        query = query.where(Session.ends_at > start, Session.starts_at < end)
    if spec.kind in ("public", "category", "activity", "session"):
        query = query.where(Activity.visibility == "public")
    elif spec.kind == "partner":
        query = query.where(Activity.visibility.in_(("public", "partners")))
    if spec.categories:
        query = query.where(Activity.category.in_(spec.categories))
    if spec.activity_id is not None:
        query = query.where(Session.activity_id == spec.activity_id)
    if spec.session_id is not None:
        query = query.where(Session.id == spec.session_id)
    if spec.kind == "personal":
        mine = select(Booking).where(
            Booking.participant_id == spec.participant_id,
            Booking.status.in_(PERSONAL_STATUSES),
        )
        query = query.where(
            or_(
                Session.id.in_(mine.with_only_columns(Booking.session_id)),
                # Enrolled in a course: every session of it.
                Session.activity_id.in_(
                    mine.with_only_columns(Booking.activity_id).where(
                        Booking.activity_id.is_not(None)
                    )
                ),
            )
        )
    return query


def _booking_statuses(orm: OrmSession, participant_id: int | None) -> dict[tuple[str, int], str]:
    rows = orm.execute(
        select(Booking.session_id, Booking.activity_id, Booking.status).where(
            Booking.participant_id == participant_id, Booking.status.in_(PERSONAL_STATUSES)
        )
    )
    statuses: dict[tuple[str, int], str] = {}
    for session_id, activity_id, status in rows:
        if session_id is not None:
            statuses[("session", session_id)] = status
        elif activity_id is not None:  # always, when there is no session: session_xor_activity
            statuses[("activity", activity_id)] = status
    return statuses


def _calendar_name(spec: FeedSpec, settings: FeedSettings) -> str:
    site = settings.site_name
    lang = spec.language
    if spec.kind == "category":
        label = str(CATEGORY_LABELS[spec.categories[0]])
        return _("%(site)s – %(name)s", site=site, name=label)
    if spec.kind in ("activity", "partner"):
        return _("%(site)s – %(name)s", site=site, name=pick(spec.titles, lang, lang))
    if spec.kind == "session":
        return pick(spec.titles, lang, settings.default_language)
    if spec.kind == "personal":
        return _("%(site)s – my bookings", site=site)
    return _("%(site)s – program", site=site)


def _place(session: Session) -> str:
    location, room = session.effective_location, session.effective_room
    if location is None:
        return room.name if room else ""
    parts = [location.name, room.name if room else "", location.address]
    return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class _Words:
    """The fixed texts of a feed, translated once per build rather than once per event."""

    drop_in: str
    signup: str
    enrolment: str
    full: str
    full_waitlist: str
    cancelled: str
    hidden_title: str
    bookings: dict[str, str]
    categories: dict[str, str]

    @classmethod
    def translated(cls) -> _Words:
        return cls(
            drop_in=_("Just come – no sign-up"),
            signup=_("Sign-up needed"),
            enrolment=_("Sign up for the whole course"),
            full=_("Full"),
            full_waitlist=_("Full – waiting list"),
            cancelled=_("Cancelled"),
            hidden_title=_("Appointment at the house"),
            bookings={
                BookingStatus.CONFIRMED: _("You have a seat."),
                BookingStatus.OFFERED: _(
                    "A seat is free for you – answer the text message to take it."
                ),
                BookingStatus.WAITLISTED: _(
                    "You are on the waiting list. We will send you a text message if a seat "
                    "is free."
                ),
            },
            categories={key: str(label) for key, label in CATEGORY_LABELS.items()},
        )


def _participation_line(session: Session, show_seats: bool, words: _Words) -> str:
    activity = session.activity
    if activity.mode == Mode.DROP_IN:
        return words.drop_in
    line = words.enrolment if activity.mode == Mode.ENROLMENT else words.signup
    seats = session.seats_left
    if not show_seats or seats is None:
        return line
    if seats == 0:
        return f"{line} · {words.full_waitlist if activity.waitlist_enabled else words.full}"
    return f"{line} · {ngettext('%(num)d seat left', '%(num)d seats left', seats)}"


def _event(
    session: Session,
    spec: FeedSpec,
    settings: FeedSettings,
    booking_status: str | None,
    words: _Words,
) -> Event:
    activity = session.activity
    lang, fallback = spec.language, settings.default_language
    # A personal feed may be seen by others (a shared phone, family calendar): a sensitive
    # activity appears only under its neutral wording, with nothing that names it.
    hidden = spec.kind == "personal" and activity.sensitive
    if hidden:
        title = pick(activity.neutral_title, lang, fallback) or words.hidden_title
    else:
        title = pick(activity.title, lang, fallback)
    cancelled = session.status == SessionStatus.CANCELLED
    url = f"{settings.public_url}/sessions/{session.id}"

    lines: list[str] = []
    if cancelled:
        reason = session.cancel_reason
        lines.append(_("Cancelled: %(reason)s", reason=reason) if reason else words.cancelled)
    if booking_status:
        lines.append(words.bookings[booking_status])
    if not hidden:
        lines += [pick(activity.summary, lang, fallback), pick(session.note, lang, fallback)]
        if not cancelled:
            # Partner feeds may show seats left, but never counts that hint at who needs care.
            show_seats = spec.kind == "partner" and not activity.sensitive
            lines.append(_participation_line(session, show_seats, words))
        lines.append(url)

    event = Event()
    event.add("uid", session.uid)
    # The session's own last change, not the request time: an unchanged feed stays byte-identical.
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("sequence", session.sequence)
    event.add("dtstart", session.starts_at.astimezone(settings.tz))
    event.add("dtend", session.ends_at.astimezone(settings.tz))
    # Google Calendar ignores STATUS:CANCELLED in subscribed feeds; the title must say it too.
    summary = _("Cancelled: %(title)s", title=title) if cancelled else title
    event.add("summary", ics_text(summary))
    event.add("description", ics_text("\n\n".join(line for line in lines if line)))
    place = _place(session)
    if place:
        event.add("location", ics_text(place))
    location = session.effective_location
    if location and location.latitude is not None and location.longitude is not None:
        event.add("geo", (location.latitude, location.longitude))
    if not hidden:
        event.add("url", url)
        category = words.categories.get(activity.category, activity.category)
        event.add("categories", [ics_text(category).replace("\n", " ")])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if spec.kind == "session" and not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", ics_text(title))
        alarm.add("trigger", timedelta(hours=-1))
        event.add_component(alarm)
    return event


def build_feed(orm: OrmSession, spec: FeedSpec, now: datetime, settings: FeedSettings) -> bytes:
    """The feed's iCalendar text: every session its own VEVENT, times in the house's zone."""
    sessions = orm.scalars(_feed_query(spec, now, settings.tz)).all()
    statuses = _booking_statuses(orm, spec.participant_id) if spec.kind == "personal" else {}
    with force_locale(spec.language):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", ics_text(_calendar_name(spec, settings)))
        calendar.add("x-wr-timezone", settings.tz.key)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
        # Always present, so even a personal feed without bookings is a valid calendar
        # (RFC 5545 wants at least one component).
        window_start, _window_end = feed_window(now, settings.tz)
        calendar.add_component(
            vtimezone(settings.tz.key, window_start.astimezone(settings.tz).year)
        )
        words = _Words.translated()
        for session in sessions:
            status = statuses.get(("session", session.id)) or statuses.get(
                ("activity", session.activity_id)
            )
            calendar.add_component(_event(session, spec, settings, status, words))
    return calendar.to_ical()


# ---------------------------------------------------------------- cache


class FeedCache:
    """Built feeds of this process, one per feed and language, the least used dropped first."""

    def __init__(self, max_entries: int = 128) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Feed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], fingerprint: str) -> Feed | None:
        with self._lock:
            feed = self._entries.get(key)
            if feed is None or feed.fingerprint != fingerprint:
                return None
            self._entries.move_to_end(key)
            return feed

    def put(self, key: tuple[str, str], feed: Feed) -> None:
        with self._lock:
            self._entries[key] = feed
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cached_feed(
    orm: OrmSession,
    spec: FeedSpec,
    state: FeedState,
    now: datetime,
    settings: FeedSettings,
    cache: FeedCache,
) -> Feed:
    """The feed from the cache, built (and compressed) only when its version changed."""
    key = (spec.key, spec.language)
    feed = cache.get(key, state.fingerprint)
    if feed is None:
        body = build_feed(orm, spec, now, settings)
        # mtime=0: the same body always compresses to the same bytes (one strong ETag).
        feed = Feed(state.fingerprint, body, gzip.compress(body, compresslevel=6, mtime=0))
        cache.put(key, feed)
    return feed


def public_categories(orm: OrmSession) -> list[str]:
    """Categories that have a public activity, in the program's order."""
    used = set(
        orm.scalars(
            select(Activity.category)
            .where(Activity.visibility == "public", Activity.archived_at.is_(None))
            .distinct()
        )
    )
    return [category for category in CATEGORIES if category in used]


@dataclass(frozen=True)
class SubscribeLinks:
    """The feed addresses the subscribe page (/calendar) offers."""

    program: FeedLink
    #: (category, its label, its feed's address) for each category with a public activity.
    categories: list[tuple[str, Any, FeedLink]]


def subscribe_links(orm: OrmSession, public_url: str, language: str | None) -> SubscribeLinks:
    """The whole program's address and each public category's, with ?lang= unless None."""
    return SubscribeLinks(
        program=feed_link(public_url, "/calendar.ics", language),
        categories=[
            (
                category,
                CATEGORY_LABELS[category],
                feed_link(public_url, f"/calendar/{category}.ics", language),
            )
            for category in public_categories(orm)
        ],
    )
