"""What an activity is made of (ActivityData), and the rules every field must keep."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from havehus.errors import HavehusError
from havehus.models import Activity, Booking, Location, Mode, Room, Session
from havehus.models.program import (
    ACTIVITY_TYPES,
    CATEGORIES,
    MODES,
    OFFER_POLICIES,
    VISIBILITIES,
)
from havehus.models.signup import SEAT_HOLDING
from havehus.orm import OrmSession
from havehus.program.hosts import hosts_with_ids
from havehus.program.recurrence import parse_rule
from havehus.program.repeat import rule_parts
from havehus.program.results import invalid
from havehus.program.rule_limits import check_session_count

#: Pictograms an activity may use, besides its category's.
EXTRA_PICTOGRAMS = ("house", "languages", "childcare", "food-served", "women-only", "phone")
PICTOGRAMS = tuple(CATEGORIES) + EXTRA_PICTOGRAMS
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
MAX_REMINDER_MINUTES = 14 * 24 * 60


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
    mode: str = Mode.DROP_IN
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
    #: After a check-in, ask "How are you today?" (the wellbeing pulse).
    wellbeing_pulse: bool = False
    spoken_languages: list[str] = field(default_factory=list)
    interpreter_languages: list[str] = field(default_factory=list)
    rrule: str | None = None
    starts_on: date | None = None
    start_time: time | None = None
    duration_minutes: int | None = None
    host_ids: list[int] = field(default_factory=list)


#: Fields of ActivityData stored on Activity under the same name.
PLAIN_FIELDS = tuple(f.name for f in fields(ActivityData) if f.name != "host_ids")
#: Those of them that say when the sessions are.
SCHEDULE_FIELDS = ("rrule", "starts_on", "start_time", "duration_minutes")


def activity_data(activity: Activity) -> ActivityData:
    """The editable fields of an activity, e.g. to fill a form or apply a partial update."""
    values = {name: getattr(activity, name) for name in PLAIN_FIELDS}
    for name in ("title", "summary", "neutral_title", "price_text"):
        values[name] = dict(values[name] or {})
    for name in ("theme_tags", "reminder_offsets", "spoken_languages", "interpreter_languages"):
        values[name] = list(values[name] or [])
    return ActivityData(**values, host_ids=[host.id for host in activity.hosts])


def end_time(activity: Activity) -> time:
    """The time of day the activity's sessions end."""
    start = datetime.combine(activity.starts_on, activity.start_time)
    return (start + timedelta(minutes=activity.duration_minutes)).time()


def _clean_texts(texts: dict[str, str], limit: int) -> tuple[dict[str, str], bool]:
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    return cleaned, all(len(text) <= limit for text in cleaned.values())


def _current_bookings(orm: OrmSession, activity: Activity, now: datetime) -> int:
    """The most seats held in one coming session (sign-up) or in the course (enrolment)."""
    enrolled = orm.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.activity_id == activity.id,
            Booking.status.in_(SEAT_HOLDING),
        )
    )
    per_session = orm.scalar(
        select(func.max(Session.seats_taken)).where(
            Session.activity_id == activity.id, Session.starts_at > now
        )
    )
    return max(enrolled or 0, per_session or 0)


def validate_activity(
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
    capacity = None if data.mode == Mode.DROP_IN else data.capacity
    if data.mode != Mode.DROP_IN and (capacity is None or capacity < 1):
        errors["capacity"] = _("A sign-up or course needs at least one seat.")
    if activity is not None and "capacity" not in errors and "mode" not in errors:
        taken = _current_bookings(orm, activity, now)
        if taken and data.mode == Mode.DROP_IN and activity.mode != Mode.DROP_IN:
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
    try:
        hosts_with_ids(orm, data.host_ids)
    except HavehusError as error:
        errors.update(error.fields)

    errors.update(_validate_schedule(data, activity, now, tz))
    if errors:
        raise invalid(errors)
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
    try:
        check_session_count(rule, data.starts_on)
    except HavehusError as error:
        errors["rrule"] = error.message
    return errors


def _until(value: str) -> date | None:
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return None
