"""The planner's rules: activities, series edits, exceptions, closures, copying, the rota.

Every function takes the database session, the instant `now` and the acting `actor`, writes
an audit entry, bumps the program version and raises HavehusError with a stable code. No
function here commits: the caller commits once, so nothing is ever saved half-way.

A booking is never deleted by a change here. A session that has participants (bookings or
attendance) is kept; when its time changes it is moved (sequence + 1) and when it no longer
fits the series it is cancelled, and every participant with a phone gets a change notice in
the SMS outbox.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from havehus.errors import HavehusError
from havehus.messaging import texts
from havehus.models import (
    Activity,
    Booking,
    Closure,
    Location,
    Participant,
    Room,
    Session,
    StaffUser,
    Tally,
)
from havehus.models.program import (
    ACTIVITY_TYPES,
    CATEGORIES,
    MODES,
    OFFER_POLICIES,
    VISIBILITIES,
)
from havehus.models.signup import BOOKING_STATUSES
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.recurrence import (
    MAX_HORIZON_DAYS,
    expand_activity,
    local_occurrences,
    parse_rule,
)
from havehus.program.repeat import DAY_CODES, join_rule, rule_parts
from havehus.program.services import bump_program_version
from havehus.program.slugs import free_slug, slug_from_title
from havehus.timeutil import day_bounds_utc, local_to_utc

SCOPES = ("this", "following", "all")
#: Bookings whose holders are told about a change.
NOTIFIED = ("confirmed", "offered", "waitlisted")
#: A session with any booking is never deleted (deleting it would delete the bookings too):
#: people expect it, it happened, or a cancelled booking is part of the record.
KEEPING = BOOKING_STATUSES
#: Roles that can take a shift.
HOST_ROLES = ("admin", "manager", "host")
#: Pictograms an activity may use, besides its category's.
EXTRA_PICTOGRAMS = ("house", "languages", "childcare", "food-served", "women-only", "phone")
PICTOGRAMS = tuple(CATEGORIES) + EXTRA_PICTOGRAMS
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
MAX_REMINDER_MINUTES = 14 * 24 * 60


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Conflict:
    """A warning: two sessions overlap in one room, or one host is in two places at once."""

    kind: str  # "room" | "host"
    first: Session
    second: Session
    host: StaffUser | None = None


@dataclass
class ChangeSummary:
    """What a change did, for the page or JSON that reports it."""

    moved: list[Session] = field(default_factory=list)
    cancelled: list[Session] = field(default_factory=list)
    created: int = 0
    deleted: int = 0
    notices: int = 0
    #: Booked people whose number said STOP: no text reaches them, staff must tell them.
    unreached: int = 0
    warnings: list[Conflict] = field(default_factory=list)


@dataclass
class ActivityData:
    """Every field a manager sets on an activity; validated by create/update."""

    slug: str = ""
    title: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    neutral_title: dict[str, str] = field(default_factory=dict)
    price_text: dict[str, str] = field(default_factory=dict)
    category: str = "other"
    activity_type: str = "network"
    theme_tags: list[str] = field(default_factory=list)
    pictogram: str | None = None
    photo: str | None = None
    location_id: int | None = None
    room_id: int | None = None
    mode: str = "drop_in"
    capacity: int | None = None
    walk_ins_welcome: bool = False
    waitlist_enabled: bool = True
    offer_policy: str = "immediate"
    offer_hold_hours: int = 12
    reminder_offsets: list[int] = field(default_factory=lambda: [1440, 180])
    visibility: str = "public"
    sensitive: bool = False
    women_only: bool = False
    childcare: bool = False
    food_served: bool = False
    step_free: bool = True
    spoken_languages: list[str] = field(default_factory=list)
    interpreter_languages: list[str] = field(default_factory=list)
    rrule: str | None = None
    starts_on: date | None = None
    start_time: time | None = None
    duration_minutes: int | None = None
    host_ids: list[int] = field(default_factory=list)


#: Fields of ActivityData stored on Activity under the same name.
_PLAIN_FIELDS = tuple(f.name for f in fields(ActivityData) if f.name != "host_ids")
_SCHEDULE_FIELDS = ("rrule", "starts_on", "start_time", "duration_minutes")


def activity_data(activity: Activity) -> ActivityData:
    """The editable fields of an activity, e.g. to fill a form or apply a partial update."""
    values = {name: getattr(activity, name) for name in _PLAIN_FIELDS}
    for name in ("title", "summary", "neutral_title", "price_text"):
        values[name] = dict(values[name] or {})
    for name in ("theme_tags", "reminder_offsets", "spoken_languages", "interpreter_languages"):
        values[name] = list(values[name] or [])
    return ActivityData(**values, host_ids=[host.id for host in activity.hosts])


def horizon_until(now: datetime, tz: ZoneInfo, weeks: int) -> date:
    """The last local day sessions are created for: the Sunday of the horizon's last week."""
    day = now.astimezone(tz).date() + timedelta(weeks=weeks)
    return day + timedelta(days=6 - day.weekday())


# ---------------------------------------------------------------- validation


def _invalid(fields_: dict[str, str]) -> HavehusError:
    return HavehusError(_("Please correct the marked fields."), "invalid", fields=fields_)


def _clean_texts(texts: dict[str, str], limit: int) -> tuple[dict[str, str], bool]:
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    return cleaned, all(len(text) <= limit for text in cleaned.values())


def _current_bookings(orm: OrmSession, activity: Activity, now: datetime) -> int:
    """The most seats held in one coming session (sign-up) or in the course (enrolment)."""
    enrolled = orm.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.activity_id == activity.id, Booking.status.in_(("confirmed", "offered")))
    )
    per_session = orm.scalar(
        select(func.max(Session.seats_taken)).where(
            Session.activity_id == activity.id, Session.starts_at > now
        )
    )
    return max(enrolled or 0, per_session or 0)


def _validate(
    orm: OrmSession,
    data: ActivityData,
    activity: Activity | None,
    now: datetime,
    tz: ZoneInfo,
) -> ActivityData:
    """The cleaned data, or HavehusError "invalid" with a message per field."""
    errors: dict[str, str] = {}
    slug = data.slug.strip().lower()
    if not slug:
        errors["slug"] = _("Give a short web name, e.g. sammen-om-maden.")
    elif len(slug) > 80 or not SLUG.match(slug):
        errors["slug"] = _("Use small letters a–z, digits and hyphens only (at most 80).")
    title, title_ok = _clean_texts(data.title, 200)
    if not title.get("da"):
        errors["title"] = _("The Danish title is required.")
    elif not title_ok:
        errors["title"] = _("A title may be at most 200 characters.")
    summary, summary_ok = _clean_texts(data.summary, 1000)
    if not summary_ok:
        errors["summary"] = _("A short text may be at most 1000 characters.")
    neutral, neutral_ok = _clean_texts(data.neutral_title, 200)
    if data.sensitive and not neutral.get("da"):
        errors["neutral_title"] = _(
            "A sensitive activity needs a neutral Danish wording for texts and calendars."
        )
    elif not neutral_ok:
        errors["neutral_title"] = _("A title may be at most 200 characters.")
    price, price_ok = _clean_texts(data.price_text, 200)
    if not price_ok:
        errors["price_text"] = _("The price text may be at most 200 characters.")
    for name, allowed in (
        ("category", CATEGORIES),
        ("activity_type", ACTIVITY_TYPES),
        ("mode", MODES),
        ("visibility", VISIBILITIES),
        ("offer_policy", OFFER_POLICIES),
    ):
        if getattr(data, name) not in allowed:
            errors[name] = _("Choose one of: %(values)s.", values=", ".join(allowed))
    if data.pictogram and data.pictogram not in PICTOGRAMS:
        errors["pictogram"] = _("Choose one of the pictograms shown.")
    tags = [tag.strip() for tag in data.theme_tags if tag.strip()]
    if any(len(tag) > 40 for tag in tags) or len(tags) > 20:
        errors["theme_tags"] = _("At most 20 tags of up to 40 characters each.")

    # A drop-in activity has no seats; a value left in the form is dropped.
    capacity = None if data.mode == "drop_in" else data.capacity
    if data.mode != "drop_in" and (capacity is None or capacity < 1):
        errors["capacity"] = _("A sign-up or course needs at least one seat.")
    if activity is not None and "capacity" not in errors and "mode" not in errors:
        taken = _current_bookings(orm, activity, now)
        if taken and data.mode == "drop_in" and activity.mode != "drop_in":
            errors["mode"] = _("People have booked seats; it cannot become drop-in now.")
        elif taken and capacity is not None and capacity < taken:
            errors["capacity"] = _(
                "%(num)d seats are already taken; the capacity cannot be lower.", num=taken
            )
    if not 0 <= data.offer_hold_hours <= 168:
        errors["offer_hold_hours"] = _("Between 0 and 168 hours.")
    offsets = sorted(set(data.reminder_offsets), reverse=True)
    if any(not 0 < offset <= MAX_REMINDER_MINUTES for offset in offsets) or len(offsets) > 5:
        errors["reminder_offsets"] = _("Up to five reminders, each at most 14 days before.")
    for name in ("spoken_languages", "interpreter_languages"):
        codes = getattr(data, name)
        if any(not LANGUAGE_CODE.match(code) for code in codes):
            errors[name] = _("Use language codes such as da, ar, tr.")

    location = orm.get(Location, data.location_id) if data.location_id else None
    if data.location_id and location is None:
        errors["location_id"] = _("Unknown location.")
    room = orm.get(Room, data.room_id) if data.room_id else None
    if data.room_id and (room is None or location is None or room.location_id != location.id):
        errors["room_id"] = _("Choose a room in the chosen location.")
    hosts = _hosts(orm, data.host_ids)
    if len(hosts) != len(set(data.host_ids)):
        errors["host_ids"] = _("Only active hosts, managers and administrators can host.")

    errors.update(_validate_schedule(data, activity, now, tz))
    if errors:
        raise _invalid(errors)
    return replace(
        data,
        slug=slug,
        title=title,
        summary=summary,
        neutral_title=neutral,
        price_text=price,
        theme_tags=tags,
        capacity=capacity,
        reminder_offsets=offsets,
        rrule=data.rrule.strip() if data.rrule else None,
    )


def _validate_schedule(
    data: ActivityData, activity: Activity | None, now: datetime, tz: ZoneInfo
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.starts_on is None:
        errors["starts_on"] = _("Choose the first day.")
    if data.start_time is None:
        errors["start_time"] = _("Choose the start time.")
    if data.duration_minutes is None or data.duration_minutes <= 0:
        errors["duration_minutes"] = _("The end must be after the start.")
    elif data.duration_minutes > 24 * 60:
        errors["duration_minutes"] = _("A session may last at most 24 hours.")
    if errors or data.starts_on is None or data.start_time is None:
        return errors
    today = now.astimezone(tz).date()
    moved_start = activity is None or activity.starts_on != data.starts_on
    if moved_start and data.starts_on < today:
        errors["starts_on"] = _("The first day cannot be in the past.")
    if not data.rrule:
        return errors
    if len(data.rrule) > 500:
        errors["rrule"] = _("The repeat rule is too long.")
        return errors
    try:
        rule = parse_rule(data.rrule, data.starts_on, data.start_time)
    except HavehusError as error:
        errors["rrule"] = error.message
        return errors
    parts = rule_parts(data.rrule)
    if "UNTIL" in parts:
        until = _until(parts["UNTIL"])
        if until is not None and until < data.starts_on:
            errors["ends_on"] = _("The last day is before the first day.")
            return errors
    first = datetime.combine(data.starts_on, time.min)
    if not rule.between(first, first + timedelta(days=MAX_HORIZON_DAYS), inc=True):
        errors["rrule"] = _("This pattern never happens. Check the days and the end.")
    return errors


def _until(value: str) -> date | None:
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _hosts(orm: OrmSession, ids: Iterable[int]) -> list[StaffUser]:
    wanted = set(ids)
    if not wanted:
        return []
    return list(
        orm.scalars(
            select(StaffUser)
            .where(
                StaffUser.id.in_(wanted), StaffUser.active.is_(True), StaffUser.role.in_(HOST_ROLES)
            )
            .order_by(StaffUser.name, StaffUser.email)
        )
    )


def _check_slug_free(orm: OrmSession, slug: str, activity: Activity | None) -> None:
    query = select(Activity.id).where(Activity.slug == slug)
    if activity is not None:
        query = query.where(Activity.id != activity.id)
    if orm.scalar(query) is not None:
        raise HavehusError(
            _("Another activity already uses this web name."),
            "exists",
            fields={"slug": _("Another activity already uses this web name.")},
        )


def _check_version(activity: Activity, expected_version: int | None) -> None:
    if expected_version is not None and activity.version != expected_version:
        raise HavehusError(
            _(
                "Someone else changed this activity while you were editing. "
                "Your changes are not saved; look at the current version and try again."
            ),
            "conflict",
        )


def _flush(orm: OrmSession) -> None:
    """Flush, turning a lost optimistic-lock race into the friendly conflict error."""
    try:
        orm.flush()
    except StaleDataError:
        raise HavehusError(
            _(
                "Someone else changed this activity while you were editing. "
                "Your changes are not saved; look at the current version and try again."
            ),
            "conflict",
        ) from None


# ---------------------------------------------------------------- activities


def create_activity(
    orm: OrmSession,
    data: ActivityData,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    horizon_weeks: int,
    derive_slug: bool = False,
) -> tuple[Activity, ChangeSummary]:
    """Create an activity with its sessions up to the horizon."""
    # The planner's form may leave the web name to be made from the Danish title; the API's
    # callers always send their own (a contract), so only the form asks for `derive_slug`.
    if derive_slug and not data.slug.strip():
        data = replace(data, slug=free_slug(orm, slug_from_title(data.title.get("da", ""))))
    clean = _validate(orm, data, None, now, tz)
    _check_slug_free(orm, clean.slug, None)
    activity = Activity(created_at=now, updated_at=now)
    for name in _PLAIN_FIELDS:
        setattr(activity, name, getattr(clean, name))
    activity.hosts = _hosts(orm, clean.host_ids)
    orm.add(activity)
    _flush(orm)
    created = expand_activity(orm, activity, horizon_until(now, tz, horizon_weeks), now, tz)
    orm.flush()
    summary = ChangeSummary(created=created)
    summary.warnings = conflicts_for(orm, _future_sessions(orm, activity, now), tz)
    audit.record(
        orm, "activity.create", now, actor, target=activity, details={"slug": activity.slug}
    )
    bump_program_version(orm, now)
    return activity, summary


def update_activity(
    orm: OrmSession,
    activity: Activity,
    data: ActivityData,
    now: datetime,
    actor: Actor,
    *,
    expected_version: int | None,
    tz: ZoneInfo,
    horizon_weeks: int,
    pivot: Session | None = None,
) -> ChangeSummary:
    """Save an edited activity; time and pattern changes apply to all coming sessions, or
    (with `pivot`) to that session and the following ones."""
    _check_version(activity, expected_version)
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is archived."), "archived")
    clean = _validate(orm, data, activity, now, tz)
    _check_slug_free(orm, clean.slug, activity)
    changed = sorted(
        name for name in _PLAIN_FIELDS if getattr(activity, name) != getattr(clean, name)
    )
    schedule_changed = any(name in changed for name in _SCHEDULE_FIELDS)
    for name in _PLAIN_FIELDS:
        if name not in _SCHEDULE_FIELDS:
            setattr(activity, name, getattr(clean, name))
    new_hosts = _hosts(orm, clean.host_ids)
    if {h.id for h in new_hosts} != {h.id for h in activity.hosts}:
        activity.hosts = new_hosts
        changed.append("hosts")
    activity.updated_at = now
    summary = ChangeSummary()
    if schedule_changed:
        summary = _reschedule(orm, activity, clean, pivot, now, actor, tz, horizon_weeks)
    _flush(orm)
    summary.warnings = conflicts_for(orm, _future_sessions(orm, activity, now), tz)
    audit.record(
        orm,
        "activity.update",
        now,
        actor,
        target=activity,
        details={"fields": ",".join(changed), "moved": len(summary.moved)},
    )
    bump_program_version(orm, now)
    return summary


def archive_activity(
    orm: OrmSession,
    activity: Activity,
    now: datetime,
    actor: Actor,
    *,
    expected_version: int | None,
    tz: ZoneInfo,
) -> ChangeSummary:
    """Take an activity off the program; coming sessions with participants are cancelled."""
    _check_version(activity, expected_version)
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is already archived."), "archived")
    summary = ChangeSummary()
    reason = _house_text("The activity has ended.")
    sessions = _future_sessions(orm, activity, now)
    keep = _sessions_with_participants(orm, sessions)
    for session in sessions:
        if session.id in keep:
            if session.status == "scheduled":
                _cancel(orm, session, reason, now, actor, tz, summary)
        else:
            orm.delete(session)
            summary.deleted += 1
    activity.archived_at = now
    activity.updated_at = now
    _flush(orm)
    audit.record(
        orm,
        "activity.archive",
        now,
        actor,
        target=activity,
        details={"cancelled": len(summary.cancelled), "deleted": summary.deleted},
    )
    bump_program_version(orm, now)
    return summary


# ---------------------------------------------------------------- series edits


@dataclass(frozen=True)
class SeriesChange:
    """One change to a series, seen from one of its sessions (the pivot)."""

    start_time: time | None = None
    end_time: time | None = None
    #: Move the pivot's weekday to this one (0 = Monday).
    weekday: int | None = None
    #: The series' new last day.
    until: date | None = None
    #: Cancel, with this reason.
    cancel_reason: str | None = None


def edit_series(
    orm: OrmSession,
    pivot: Session,
    scope: str,
    change: SeriesChange,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    horizon_weeks: int,
    expected_version: int | None = None,
) -> ChangeSummary:
    """Apply a change to this session only, to this and the following ones, or to all."""
    if scope not in SCOPES:
        raise HavehusError(_("Choose which sessions the change is for."), "invalid_scope")
    if pivot.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    activity = pivot.activity
    local = pivot.starts_at.astimezone(tz)
    local_end = pivot.ends_at.astimezone(tz)
    if scope == "this":
        if change.until is not None:
            raise HavehusError(
                _("An end date applies to the series, not to one session."), "invalid_scope"
            )
        if change.cancel_reason is not None:
            return cancel_session(orm, pivot, change.cancel_reason, now, actor, tz=tz)
        day = local.date()
        if change.weekday is not None:
            day += timedelta(days=change.weekday - day.weekday())
        return move_session(
            orm,
            pivot,
            day,
            change.start_time or local.time(),
            change.end_time or local_end.time(),
            pivot.room_id,
            now,
            actor,
            tz=tz,
            expected_sequence=None,
        )
    if activity.rrule is None:
        raise HavehusError(_("This activity does not repeat."), "invalid_scope")
    _check_version(activity, expected_version)
    if change.cancel_reason is not None:
        return _cancel_series(orm, pivot, scope, change.cancel_reason, now, actor, tz)
    data = activity_data(activity)
    start = change.start_time or activity.start_time
    if change.start_time or change.end_time:
        end = change.end_time or local_end.time()
        data.start_time = start
        data.duration_minutes = _minutes_between(start, end)
    parts = rule_parts(activity.rrule)
    if change.weekday is not None:
        parts["BYDAY"] = _replace_weekday(parts.get("BYDAY"), local.weekday(), change.weekday)
    if change.until is not None:
        parts.pop("COUNT", None)
        parts["UNTIL"] = f"{change.until:%Y%m%d}T235959"
    data.rrule = join_rule(parts)
    return update_activity(
        orm,
        activity,
        data,
        now,
        actor,
        expected_version=None,
        tz=tz,
        horizon_weeks=horizon_weeks,
        pivot=pivot if scope == "following" else None,
    )


def _minutes_between(start: time, end: time) -> int:
    """Minutes from start to end on one day; 0 or less when the end is not after the start."""
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _replace_weekday(byday: str | None, old: int, new: int) -> str:
    if not byday:
        return DAY_CODES[new]
    tokens = []
    for token in byday.split(","):
        prefix, code = token[:-2], token[-2:]
        tokens.append(prefix + DAY_CODES[new] if code == DAY_CODES[old] else token)
    return ",".join(dict.fromkeys(tokens))


def _cancel_series(
    orm: OrmSession,
    pivot: Session,
    scope: str,
    reason: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
) -> ChangeSummary:
    """Cancel every coming session in scope and end the series before them."""
    reason = _check_reason(reason)
    activity = pivot.activity
    assert activity.rrule is not None
    cutoff = pivot.starts_at if scope == "following" else now
    summary = ChangeSummary()
    for session in _future_sessions(orm, activity, now):
        if session.starts_at >= cutoff and session.status == "scheduled":
            _cancel(orm, session, reason, now, actor, tz, summary)
    # The series ends with the last session there is: the cancelled rows stay visible
    # (struck through) and expansion creates nothing after them.
    parts = rule_parts(activity.rrule)
    parts.pop("COUNT", None)
    last = max((s.starts_at for s in activity.sessions), default=pivot.starts_at)
    until = last.astimezone(tz).date()
    parts["UNTIL"] = f"{until:%Y%m%d}T235959"
    activity.rrule = join_rule(parts)
    activity.updated_at = now
    _flush(orm)
    audit.record(
        orm,
        "activity.cancel_series",
        now,
        actor,
        target=activity,
        details={"scope": scope, "cancelled": len(summary.cancelled), "reason": reason},
    )
    bump_program_version(orm, now)
    return summary


def _reschedule(
    orm: OrmSession,
    activity: Activity,
    clean: ActivityData,
    pivot: Session | None,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    horizon_weeks: int,
) -> ChangeSummary:
    """Make the coming sessions (from the pivot, or all) follow the new time and pattern."""
    assert clean.starts_on is not None and clean.start_time is not None
    today = now.astimezone(tz).date()
    sessions = _future_sessions(orm, activity, now, series_only=True)
    if pivot is not None:
        cutoff_day = pivot.starts_at.astimezone(tz).date()
    else:
        started_today = any(
            s.starts_at.astimezone(tz).date() == today and s.starts_at <= now
            for s in activity.sessions
        )
        cutoff_day = today + timedelta(days=1) if started_today else today
    in_scope = [s for s in sessions if _occurrence_day(s, tz) >= cutoff_day]
    # The new pattern starts at the cutoff: earlier sessions stay as they are, and
    # expansion never fills days before it with the new pattern.
    old_rule, old_start = activity.rrule, activity.starts_on
    new_start = max(clean.starts_on, cutoff_day)
    rrule = clean.rrule
    if rrule and "COUNT" in rule_parts(rrule) and new_start > clean.starts_on:
        rrule = _remaining_count(rrule, old_rule, old_start, new_start, activity.start_time)
    activity.rrule = rrule
    activity.starts_on = new_start
    activity.start_time = clean.start_time
    activity.duration_minutes = clean.duration_minutes or activity.duration_minutes
    until = horizon_until(now, tz, horizon_weeks)
    wanted = [
        local
        for local in local_occurrences(activity, new_start, until)
        if local_to_utc(local.date(), local.time(), tz) > now
    ]
    pairs, unmatched_old = _match(in_scope, wanted, tz)
    keep = _sessions_with_participants(orm, in_scope)
    summary = ChangeSummary()
    # Free the occurrence slots first, so that swapping two sessions never trips the
    # unique (activity, occurrence_start) constraint.
    for session in unmatched_old:
        if session.id in keep:
            session.occurrence_start = None
            if session.status == "scheduled":
                reason = _house_text("The activity no longer takes place on this day.")
                _cancel(orm, session, reason, now, actor, tz, summary)
        else:
            orm.delete(session)
            summary.deleted += 1
    for session, _local in pairs:
        session.occurrence_start = None
    orm.flush()
    duration = timedelta(minutes=activity.duration_minutes)
    for session, local in pairs:
        starts_at = local_to_utc(local.date(), local.time(), tz)
        end_local = local + duration
        ends_at = local_to_utc(end_local.date(), end_local.time(), tz)
        session.occurrence_start = starts_at
        if (session.starts_at, session.ends_at) != (starts_at, ends_at):
            old_start_at = session.starts_at
            session.starts_at, session.ends_at = starts_at, ends_at
            session.sequence += 1
            session.updated_at = now
            summary.moved.append(session)
            if session.id in keep and session.status == "scheduled":
                _queue_notices(
                    orm, session, "moved", now, actor, tz, summary, old_start=old_start_at
                )
    orm.flush()
    summary.created = expand_activity(orm, activity, until, now, tz)
    audit.record(
        orm,
        "activity.reschedule",
        now,
        actor,
        target=activity,
        details={
            "from": cutoff_day.isoformat(),
            "old_rule": old_rule or "",
            "old_start": old_start.isoformat(),
            "moved": len(summary.moved),
            "cancelled": len(summary.cancelled),
            "deleted": summary.deleted,
            "created": summary.created,
        },
    )
    return summary


def _remaining_count(
    rrule: str, old_rule: str | None, old_start: date, new_start: date, at: time
) -> str:
    """The rule with COUNT reduced by the old pattern's occurrences before new_start."""
    parts = rule_parts(rrule)
    before = 0
    if old_rule:
        rule = parse_rule(old_rule, old_start, at)
        window = (datetime.combine(old_start, time.min), datetime.combine(new_start, time.min))
        before = len(rule.between(*window))
    parts["COUNT"] = str(max(int(parts["COUNT"]) - before, 1))
    return join_rule(parts)


def _occurrence_day(session: Session, tz: ZoneInfo) -> date:
    return (session.occurrence_start or session.starts_at).astimezone(tz).date()


def _match(
    sessions: list[Session], wanted: list[datetime], tz: ZoneInfo
) -> tuple[list[tuple[Session, datetime]], list[Session]]:
    """Pair existing sessions with the new pattern's starts: same day first, then same week.

    Pairing keeps a session (its UID, bookings and hosts) when it only moves in time.
    """
    free = sorted(wanted)
    pairs: list[tuple[Session, datetime]] = []
    left: list[Session] = []
    for session in sorted(sessions, key=lambda s: s.occurrence_start or s.starts_at):
        day = _occurrence_day(session, tz)
        same_day = next((local for local in free if local.date() == day), None)
        if same_day is None:
            left.append(session)
            continue
        free.remove(same_day)
        pairs.append((session, same_day))
    unmatched = []
    for session in left:
        week = _occurrence_day(session, tz).isocalendar()[:2]
        same_week = next((local for local in free if local.date().isocalendar()[:2] == week), None)
        if same_week is None:
            unmatched.append(session)
            continue
        free.remove(same_week)
        pairs.append((session, same_week))
    return pairs, unmatched


# ---------------------------------------------------------------- one session


def cancel_session(
    orm: OrmSession,
    session: Session,
    reason: str,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> ChangeSummary:
    """Cancel one session with a reason; its participants get a change notice."""
    reason = _check_reason(reason)
    if session.status == "cancelled":
        raise HavehusError(_("This session is already cancelled."), "already_cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    summary = ChangeSummary()
    _cancel(orm, session, reason, now, actor, tz, summary)
    orm.flush()
    audit.record(
        orm,
        "session.cancel",
        now,
        actor,
        target=session,
        details={"reason": reason, "notices": summary.notices},
    )
    bump_program_version(orm, now)
    return summary


def reinstate_session(
    orm: OrmSession, session: Session, now: datetime, actor: Actor, *, tz: ZoneInfo
) -> ChangeSummary:
    """Undo a cancellation; participants are told the session takes place after all."""
    if session.status != "cancelled":
        raise HavehusError(_("This session is not cancelled."), "not_cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    session.status = "scheduled"
    session.cancel_reason = None
    session.sequence += 1
    session.updated_at = now
    summary = ChangeSummary()
    _queue_notices(orm, session, "reinstated", now, actor, tz, summary)
    orm.flush()
    summary.warnings = conflicts_for(orm, [session], tz)
    audit.record(orm, "session.reinstate", now, actor, target=session)
    bump_program_version(orm, now)
    return summary


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise HavehusError(
            _("Say why, in a few words."),
            "invalid",
            fields={"reason": _("Say why, in a few words.")},
        )
    if len(reason) > 300:
        raise HavehusError(
            _("At most 300 characters."),
            "invalid",
            fields={"reason": _("At most 300 characters.")},
        )
    return reason


def _cancel(
    orm: OrmSession,
    session: Session,
    reason: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    summary: ChangeSummary,
) -> None:
    session.status = "cancelled"
    session.cancel_reason = reason
    session.sequence += 1
    session.updated_at = now
    summary.cancelled.append(session)
    _queue_notices(orm, session, "cancelled", now, actor, tz, summary)


def move_session(
    orm: OrmSession,
    session: Session,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
    expected_sequence: int | None,
) -> ChangeSummary:
    """Give one session a new day, time or room; participants are told when it moves."""
    if expected_sequence is not None and session.sequence != expected_sequence:
        raise HavehusError(
            _("Someone else changed this session meanwhile. Look at it again and retry."),
            "conflict",
        )
    if session.starts_at <= now:
        raise HavehusError(_("This session has already started."), "past")
    errors: dict[str, str] = {}
    if _minutes_between(start, end) <= 0:
        errors["end_time"] = _("The end must be after the start.")
    starts_at = local_to_utc(day, start, tz)
    if starts_at <= now:
        errors["day"] = _("The new time is in the past.")
    room = orm.get(Room, room_id) if room_id else None
    if room_id and room is None:
        errors["room_id"] = _("Unknown room.")
    if errors:
        raise _invalid(errors)
    ends_at = local_to_utc(day, end, tz)
    old_start = session.starts_at
    # The activity's own room needs no override.
    room_override = room_id if room_id != session.activity.room_id else None
    moved = (starts_at, ends_at) != (session.starts_at, session.ends_at)
    room_changed = room_override != session.room_id
    summary = ChangeSummary()
    if not moved and not room_changed:
        return summary
    session.starts_at, session.ends_at = starts_at, ends_at
    session.room_id = room_override
    if room is not None and room.location_id != session.activity.location_id:
        session.location_id = room.location_id
    session.sequence += 1
    session.updated_at = now
    summary.moved.append(session)
    if session.status == "scheduled":
        kind = "moved" if moved else "room"
        _queue_notices(orm, session, kind, now, actor, tz, summary, old_start=old_start)
    orm.flush()
    summary.warnings = conflicts_for(orm, [session], tz)
    audit.record(
        orm,
        "session.move",
        now,
        actor,
        target=session,
        details={
            "from": old_start.isoformat(),
            "to": starts_at.isoformat(),
            "room": room.name if room else "",
        },
    )
    bump_program_version(orm, now)
    return summary


def add_session(
    orm: OrmSession,
    activity: Activity,
    day: date,
    start: time,
    end: time,
    room_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> tuple[Session, ChangeSummary]:
    """Add a one-off session to an activity (e.g. an extra walk on a public holiday)."""
    if activity.archived_at is not None:
        raise HavehusError(_("This activity is archived."), "archived")
    errors: dict[str, str] = {}
    if _minutes_between(start, end) <= 0:
        errors["end_time"] = _("The end must be after the start.")
    starts_at = local_to_utc(day, start, tz)
    if starts_at <= now:
        errors["day"] = _("The time is in the past.")
    if room_id and orm.get(Room, room_id) is None:
        errors["room_id"] = _("Unknown room.")
    if errors:
        raise _invalid(errors)
    session = _new_session(orm, activity, starts_at, local_to_utc(day, end, tz), now)
    session.room_id = room_id if room_id != activity.room_id else None
    orm.flush()
    summary = ChangeSummary(created=1, warnings=conflicts_for(orm, [session], tz))
    audit.record(
        orm, "session.add", now, actor, target=session, details={"activity": activity.slug}
    )
    bump_program_version(orm, now)
    return session, summary


def _new_session(
    orm: OrmSession, activity: Activity, starts_at: datetime, ends_at: datetime, now: datetime
) -> Session:
    """A one-off session, already in the database session (so loading never flushes it half)."""
    session = Session(
        activity_id=activity.id,
        uid=f"{uuid.uuid4()}@havehus",
        occurrence_start=None,
        starts_at=starts_at,
        ends_at=ends_at,
        status="scheduled",
        sequence=0,
        seats_taken=0,
        note={},
        created_at=now,
        updated_at=now,
    )
    orm.add(session)
    return session


def assign_hosts(
    orm: OrmSession,
    session: Session,
    host_ids: Sequence[int],
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> list[Conflict]:
    """Put these hosts on the session's shift; returns double-booking warnings."""
    hosts = _hosts(orm, host_ids)
    if len(hosts) != len(set(host_ids)):
        raise _invalid({"host_ids": _("Only active hosts, managers and administrators can host.")})
    before = sorted(h.id for h in session.hosts)
    session.hosts = hosts
    session.updated_at = now
    orm.flush()
    audit.record(
        orm,
        "session.hosts",
        now,
        actor,
        target=session,
        details={"before": before, "after": sorted(h.id for h in hosts)},
    )
    bump_program_version(orm, now)
    return [c for c in conflicts_for(orm, [session], tz) if c.kind == "host"]


# ---------------------------------------------------------------- change notices


def _house_text(message: str) -> str:
    """A stored text in the house's language (Danish), e.g. an automatic cancel reason."""
    with force_locale("da"):
        return _(message)


def _notice_body(
    kind: str, session: Session, lang: str, tz: ZoneInfo, old_start: datetime | None
) -> str:
    return texts.change_text(kind, session, lang, tz, old_start)


def _queue_notices(
    orm: OrmSession,
    session: Session,
    kind: str,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
    summary: ChangeSummary,
    *,
    old_start: datetime | None = None,
) -> None:
    """A change text in the outbox for every booked or waitlisted person with a phone.

    Adds to the summary how many were queued, and how many people said STOP to texts and
    must be told another way.
    """
    rows = orm.execute(
        select(Booking, Participant)
        .join(Participant, Booking.participant_id == Participant.id)
        .where(
            Booking.status.in_(NOTIFIED),
            or_(Booking.session_id == session.id, Booking.activity_id == session.activity_id),
            Participant.phone.is_not(None),
            Participant.anonymised_at.is_(None),
        )
        .order_by(Booking.id)
    ).all()
    expires = max(session.starts_at, old_start or session.starts_at)
    stopped = texts.opted_out_among(orm, [person.phone for _booking, person in rows])
    for booking, person in rows:
        assert person.phone is not None
        if person.phone in stopped:
            # Nothing goes to a number that said STOP: staff see it beside the name and call.
            summary.unreached += 1
            continue
        # A change to a booking is news the person needs, so no reminder consent is asked.
        summary.notices += texts.queue(
            orm,
            phone=person.phone,
            language=person.language,
            body=_notice_body(kind, session, person.language, tz, old_start),
            kind="change",
            now=now,
            participant=person,
            booking_id=booking.id,
            session_id=session.id,
            dedupe_key=f"change:{booking.id}:{session.id}:{session.sequence}",
            expires_at=expires,
            needs_consent=False,
            created_by_id=actor.user_id,
        )


def _sessions_with_participants(orm: OrmSession, sessions: Sequence[Session]) -> set[int]:
    """Ids of sessions someone booked, attended or was counted at (never deleted)."""
    ids = [s.id for s in sessions]
    if not ids:
        return set()
    booked = set(
        orm.scalars(
            select(Booking.session_id).where(
                Booking.session_id.in_(ids), Booking.status.in_(KEEPING)
            )
        )
    )
    counted = set(orm.scalars(select(Tally.session_id).where(Tally.session_id.in_(ids))))
    enrolled_activities = set(
        orm.scalars(
            select(Booking.activity_id).where(
                Booking.activity_id.in_({s.activity_id for s in sessions}),
                Booking.status.in_(KEEPING),
            )
        )
    )
    enrolled = {s.id for s in sessions if s.activity_id in enrolled_activities}
    return {i for i in booked if i is not None} | counted | enrolled


def _future_sessions(
    orm: OrmSession, activity: Activity, now: datetime, *, series_only: bool = False
) -> list[Session]:
    query = select(Session).where(Session.activity_id == activity.id, Session.starts_at > now)
    if series_only:
        query = query.where(Session.occurrence_start.is_not(None))
    return list(orm.scalars(query.order_by(Session.starts_at)))


# ---------------------------------------------------------------- conflicts


def _effective_hosts(session: Session) -> list[StaffUser]:
    return list(session.hosts) or list(session.activity.hosts)


def conflicts_for(orm: OrmSession, sessions: Sequence[Session], tz: ZoneInfo) -> list[Conflict]:
    """Room overlaps and double-booked hosts that involve any of these sessions."""
    mine = [s for s in sessions if s.status == "scheduled"]
    if not mine:
        return []
    first = min(s.starts_at for s in mine)
    last = max(s.ends_at for s in mine)
    others = list(
        orm.scalars(
            select(Session)
            .join(Session.activity)
            .where(
                Session.status == "scheduled",
                Session.starts_at < last,
                Session.ends_at > first,
                Activity.archived_at.is_(None),
            )
            .options(selectinload(Session.hosts), selectinload(Session.activity))
        )
    )
    found: list[Conflict] = []
    seen: set[tuple[str, int, int, int]] = set()
    for a in mine:
        for b in others:
            if b.id == a.id or not (a.starts_at < b.ends_at and b.starts_at < a.ends_at):
                continue
            low, high = (a, b) if a.id < b.id else (b, a)
            room_a, room_b = a.effective_room, b.effective_room
            if room_a is not None and room_b is not None and room_a.id == room_b.id:
                key = ("room", low.id, high.id, 0)
                if key not in seen:
                    seen.add(key)
                    found.append(Conflict("room", low, high))
            hosts_b = {h.id for h in _effective_hosts(b)}
            for host in _effective_hosts(a):
                key = ("host", low.id, high.id, host.id)
                if host.id in hosts_b and key not in seen:
                    seen.add(key)
                    found.append(Conflict("host", low, high, host))
    return found


def week_conflicts(orm: OrmSession, first: date, last: date, tz: ZoneInfo) -> list[Conflict]:
    """Every conflict among the scheduled sessions on local days first..last."""
    start, end = day_bounds_utc(first, last, tz)
    sessions = list(
        orm.scalars(
            select(Session)
            .join(Session.activity)
            .where(
                Session.starts_at >= start,
                Session.starts_at < end,
                Session.status == "scheduled",
                Activity.archived_at.is_(None),
            )
        )
    )
    return conflicts_for(orm, sessions, tz)


# ---------------------------------------------------------------- closures


def closure_sessions(
    orm: OrmSession, starts_on: date, ends_on: date, location_id: int | None, tz: ZoneInfo
) -> list[Session]:
    """The scheduled sessions a closure of these days (and location) would cancel."""
    start, end = day_bounds_utc(starts_on, ends_on, tz)
    query = (
        select(Session)
        .join(Session.activity)
        .where(
            Session.starts_at >= start,
            Session.starts_at < end,
            Session.status == "scheduled",
            Activity.archived_at.is_(None),
        )
        .order_by(Session.starts_at)
    )
    if location_id is not None:
        query = query.where(
            or_(
                Session.location_id == location_id,
                (Session.location_id.is_(None)) & (Activity.location_id == location_id),
            )
        )
    return list(orm.scalars(query))


def _check_closure_days(starts_on: date | None, ends_on: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if starts_on is None:
        errors["starts_on"] = _("Choose the first closed day.")
    if ends_on is None:
        errors["ends_on"] = _("Choose the last closed day.")
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = _("The last day is before the first day.")
        elif (ends_on - starts_on).days > 92:
            errors["ends_on"] = _("A closure may last at most three months.")
    return errors


def create_closure(
    orm: OrmSession,
    starts_on: date,
    ends_on: date,
    reason: str,
    location_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> tuple[Closure, ChangeSummary]:
    """Close the house (or one location) on these days and cancel the sessions in them."""
    errors = _check_closure_days(starts_on, ends_on)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why, e.g. Christmas or summer break.")
    elif len(reason) > 200:
        errors["reason"] = _("At most 200 characters.")
    if location_id is not None and orm.get(Location, location_id) is None:
        errors["location_id"] = _("Unknown location.")
    if errors:
        raise _invalid(errors)
    closure = Closure(
        location_id=location_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason={"da": reason},
        created_by_id=actor.user_id,
        created_at=now,
    )
    orm.add(closure)
    summary = ChangeSummary()
    for session in closure_sessions(orm, starts_on, ends_on, location_id, tz):
        if session.starts_at > now:
            _cancel(orm, session, reason, now, actor, tz, summary)
    orm.flush()
    audit.record(
        orm,
        "closure.create",
        now,
        actor,
        target=closure,
        details={
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
            "reason": reason,
            "cancelled": len(summary.cancelled),
        },
    )
    bump_program_version(orm, now)
    return closure, summary


def delete_closure(orm: OrmSession, closure: Closure, now: datetime, actor: Actor) -> None:
    """Remove a closure; sessions it cancelled stay cancelled (reinstate them one by one)."""
    audit.record(
        orm,
        "closure.delete",
        now,
        actor,
        target=closure,
        details={"from": closure.starts_on.isoformat(), "to": closure.ends_on.isoformat()},
    )
    orm.execute(delete(Closure).where(Closure.id == closure.id))
    bump_program_version(orm, now)


# ---------------------------------------------------------------- copying a week


@dataclass(frozen=True)
class CopyItem:
    """One one-off session of the source week and where its copy would go."""

    source: Session
    starts_at: datetime
    ends_at: datetime
    exists: bool


def one_off_sessions(orm: OrmSession, monday: date, tz: ZoneInfo) -> list[Session]:
    """The scheduled sessions of a week that no repeat pattern creates (copied by copy_week)."""
    start, end = day_bounds_utc(monday, monday + timedelta(days=6), tz)
    return list(
        orm.scalars(
            select(Session)
            .join(Session.activity)
            .where(
                Session.starts_at >= start,
                Session.starts_at < end,
                Session.status == "scheduled",
                Activity.archived_at.is_(None),
                or_(Session.occurrence_start.is_(None), Activity.rrule.is_(None)),
            )
            .order_by(Session.starts_at)
        )
    )


def copy_week_preview(
    orm: OrmSession, source_monday: date, target_monday: date, tz: ZoneInfo
) -> list[CopyItem]:
    """The one-off sessions of the source week, each with its time in the target week."""
    shift = target_monday - source_monday
    items = []
    for session in one_off_sessions(orm, source_monday, tz):
        start_local = session.starts_at.astimezone(tz)
        end_local = session.ends_at.astimezone(tz)
        # Wall-clock times are kept, so a copy across a DST change still starts at 10:00.
        starts_at = local_to_utc(start_local.date() + shift, start_local.time(), tz)
        ends_at = local_to_utc(end_local.date() + shift, end_local.time(), tz)
        exists = orm.scalar(
            select(func.count())
            .select_from(Session)
            .where(Session.activity_id == session.activity_id, Session.starts_at == starts_at)
        )
        items.append(CopyItem(session, starts_at, ends_at, bool(exists)))
    return items


def copy_week(
    orm: OrmSession,
    source_monday: date,
    target_monday: date,
    now: datetime,
    actor: Actor,
    *,
    tz: ZoneInfo,
) -> ChangeSummary:
    """Copy the one-off sessions of a week to another week (those already there are skipped)."""
    if source_monday == target_monday:
        raise _invalid({"target": _("Choose another week than the one copied.")})
    if target_monday + timedelta(days=7) <= now.astimezone(tz).date():
        raise _invalid({"target": _("The target week is in the past.")})
    summary = ChangeSummary()
    copies = []
    for item in copy_week_preview(orm, source_monday, target_monday, tz):
        if item.exists or item.starts_at <= now:
            continue
        copy = _new_session(orm, item.source.activity, item.starts_at, item.ends_at, now)
        copy.room_id = item.source.room_id
        copy.location_id = item.source.location_id
        copy.capacity = item.source.capacity
        copy.note = dict(item.source.note or {})
        copy.hosts = list(item.source.hosts)
        copies.append(copy)
    orm.flush()
    summary.created = len(copies)
    summary.warnings = conflicts_for(orm, copies, tz)
    audit.record(
        orm,
        "program.copy_week",
        now,
        actor,
        details={
            "from": source_monday.isoformat(),
            "to": target_monday.isoformat(),
            "created": len(copies),
        },
    )
    bump_program_version(orm, now)
    return summary


# ---------------------------------------------------------------- the planner's week


@dataclass
class PlannerDay:
    day: date
    sessions: list[Session]


def planner_week(
    orm: OrmSession,
    monday: date,
    tz: ZoneInfo,
    *,
    room_id: int | None = None,
    category: str | None = None,
    host_id: int | None = None,
) -> list[PlannerDay]:
    """Every session of the week (all visibilities, cancelled ones too), by local day."""
    start, end = day_bounds_utc(monday, monday + timedelta(days=6), tz)
    query = (
        select(Session)
        .join(Session.activity)
        .where(Session.starts_at >= start, Session.starts_at < end)
        .where(Activity.archived_at.is_(None))
        .options(
            selectinload(Session.hosts),
            selectinload(Session.activity).selectinload(Activity.hosts),
            selectinload(Session.activity).selectinload(Activity.room),
            selectinload(Session.room),
        )
        .order_by(Session.starts_at, Activity.slug)
    )
    if category:
        query = query.where(Activity.category == category)
    if room_id:
        query = query.where(
            or_(
                Session.room_id == room_id,
                (Session.room_id.is_(None)) & (Activity.room_id == room_id),
            )
        )
    sessions = list(orm.scalars(query))
    if host_id:
        sessions = [s for s in sessions if host_id in {h.id for h in _effective_hosts(s)}]
    days = [PlannerDay(monday + timedelta(days=i), []) for i in range(7)]
    for session in sessions:
        days[session.starts_at.astimezone(tz).date().weekday()].sessions.append(session)
    return days


def effective_hosts(session: Session) -> list[StaffUser]:
    """The session's own rota, else the activity's regular hosts."""
    return _effective_hosts(session)


def host_choices(orm: OrmSession) -> list[StaffUser]:
    """Everyone who can take a shift, by name."""
    return list(
        orm.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_(HOST_ROLES))
            .order_by(StaffUser.name, StaffUser.email)
        )
    )
