"""Every JSON shape of /api/v1, declared once: requests are validated by these models, answers
(errors included) are written by them, and /api/v1/openapi.json is generated from them.

The class names are the schema names in the OpenAPI document. The services never see these
models: a request is turned into the service's own types (`ActivityData`, `SignUp`) here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from havehus.api.fields import (
    EMPTY_IS_LEFT_OUT,
    ClockTime,
    Flag,
    IsoDate,
    Line,
    LineTexts,
    LocalDateTime,
    Minutes,
    Omittable,
    OneOf,
    Says,
    Text,
    Texts,
    WholeNumber,
    Words,
    choice,
    rule_broken,
)
from havehus.errors import HavehusError
from havehus.i18n import KNOWN_LANGUAGES, pick
from havehus.models import Activity as ActivityRow
from havehus.models import Session as SessionRow
from havehus.models.people import CHANNELS, ROLES
from havehus.models.program import (
    ACTIVITY_TYPES,
    CATEGORIES,
    MODES,
    OFFER_POLICIES,
    SESSION_STATUSES,
    VISIBILITIES,
)
from havehus.models.signup import BOOKING_STATUSES, MAX_GUESTS
from havehus.program.activity_data import ActivityData
from havehus.program.rule_limits import MAX_SESSIONS, MAX_SLOTS_PER_DAY
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person, SignUp

#: The longest window /api/v1/sessions answers for, in days (inclusive).
MAX_WINDOW_DAYS = 400

Category = Annotated[str, OneOf(CATEGORIES), choice(CATEGORIES)]
ActivityType = Annotated[str, OneOf(ACTIVITY_TYPES), choice(ACTIVITY_TYPES)]
Mode = Annotated[str, OneOf(MODES), choice(MODES)]
Visibility = Annotated[str, OneOf(VISIBILITIES), choice(VISIBILITIES)]
OfferPolicy = Annotated[str, OneOf(OFFER_POLICIES), choice(OFFER_POLICIES)]
LanguageCode = Annotated[str, OneOf(tuple(KNOWN_LANGUAGES)), Says(_l("Unknown language."))]
PlaceName = Annotated[Line, Says(_l("Give the place as text."))]
RepeatRule = Annotated[Line, Says(_l("Give an RRULE text, or null for a single date."))]
Channel = Annotated[
    str, OneOf(CHANNELS), Says(_l("Must be one of: %(values)s.", values=", ".join(CHANNELS)))
]


class ApiModel(BaseModel):
    """Strict (no coercion), and unknown fields are ignored as they always were."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


# ---------------------------------------------------------------- errors and tokens


class Error(ApiModel):
    """Every refusal: a stable code for machines, a translated message for people."""

    code: str = Field(description="Stable, for machines.")
    message: str = Field(description="Translated, for people.")
    fields: dict[str, str] | SkipJsonSchema[None] = Field(
        None, description="When code is invalid: one message per bad field or parameter."
    )


class Token(ApiModel):
    """The token a request carries (GET /api/v1/me)."""

    name: str
    role: Annotated[str, OneOf(ROLES)]


# ---------------------------------------------------------------- sessions


class SessionWindow(ApiModel):
    """The query of GET /api/v1/sessions: local days, inclusive, at most 400 of them."""

    first: Annotated[
        IsoDate,
        Says(_l("Not a date; use YYYY-MM-DD."), missing=_l("Required, as YYYY-MM-DD.")),
    ] = Field(alias="from", description="First local day, YYYY-MM-DD.")
    last: Annotated[
        IsoDate,
        Says(_l("Not a date; use YYYY-MM-DD."), missing=_l("Required, as YYYY-MM-DD.")),
    ] = Field(alias="to", description="Last local day, YYYY-MM-DD.")
    category: Annotated[str, OneOf(CATEGORIES), Says(_l("Unknown category."))] | None = None
    lang: str | None = Field(None, description="Language of titles; unsupported → Danish.")

    @field_validator("last")
    @classmethod
    def _window(cls, last: date, info: ValidationInfo) -> date:
        first = info.data.get("first")
        if first is None:
            return last  # its own error is reported
        if last < first:
            raise rule_broken(_("Must be on or after from."))
        if (last - first).days >= MAX_WINDOW_DAYS:
            raise rule_broken(_("The window may be at most %(days)d days.", days=MAX_WINDOW_DAYS))
        return last


class Session(ApiModel):
    """One session of the program, with local-offset times."""

    id: int
    activity: str = Field(description="The activity's slug.")
    title: str = Field(description="In the requested language.")
    category: Category
    start: LocalDateTime = Field(
        description="Local time with its offset, e.g. 2026-04-01T14:00:00+02:00."
    )
    end: LocalDateTime
    status: Annotated[str, OneOf(SESSION_STATUSES)]
    mode: Mode
    capacity: int | None = Field(json_schema_extra={"minimum": 0}, description="null for drop-in.")
    seats_left: int | None = Field(
        json_schema_extra={"minimum": 0},
        description="null for drop-in, and for a health appointment: how many are booked "
        "is not told (its pages say only whether times are available).",
    )
    uid: str = Field(description="The session's iCalendar UID.")

    @classmethod
    def of(cls, session: SessionRow, lang: str, tz: ZoneInfo) -> Session:
        activity = session.activity
        return cls(
            id=session.id,
            activity=activity.slug,
            title=pick(activity.title, lang),
            category=activity.category,
            start=session.starts_at.astimezone(tz),
            end=session.ends_at.astimezone(tz),
            status=session.status,
            mode=activity.mode,
            capacity=session.effective_capacity,
            seats_left=None if activity.sensitive else session.seats_left,
            uid=session.uid,
        )


class CancelRequest(ApiModel):
    """Cancelling a session: why, in a few words (sent to the booked participants)."""

    #: Its length is the service's rule (check_reason), which says so in its own words.
    reason: Annotated[Text, Says(_l("Must be text."), missing=_l("Say why, in a few words."))] = (
        Field(json_schema_extra={"maxLength": 300})
    )


class Cancelled(ApiModel):
    """A session after its cancellation, and how many change texts were queued."""

    id: int
    status: Annotated[str, OneOf(SESSION_STATUSES)]
    sequence: int
    notices: int


# ---------------------------------------------------------------- activities

_TEXTS_NOTE = "Language code → text (a plain text is the Danish one)."


#: Finds the (location id, room id) of a place named in free text.
Place = Callable[[str], tuple[int | None, int | None]]


class ActivityFields(ApiModel):
    """The fields a partner may set on an activity; a field left out keeps its value."""

    slug: Omittable[Line] = Field(
        None, json_schema_extra={"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 80}
    )
    title: Omittable[LineTexts] = Field(None, description=f"{_TEXTS_NOTE} Danish (da) is required.")
    summary: Omittable[Texts] = Field(None, description=_TEXTS_NOTE)
    neutral_title: Omittable[LineTexts] = Field(
        None, description=f"{_TEXTS_NOTE} The wording for texts; needed when sensitive."
    )
    price_text: Omittable[LineTexts] = Field(None, description=_TEXTS_NOTE)
    category: Omittable[Category] = None
    activity_type: Omittable[ActivityType] = None
    theme_tags: Omittable[Words] = None
    mode: Omittable[Mode] = None
    capacity: WholeNumber | None = Field(
        None,
        description="Required for signup and enrolment; null for drop-in.",
        json_schema_extra={"minimum": 0},
    )
    walk_ins_welcome: Omittable[Flag] = None
    waitlist_enabled: Omittable[Flag] = None
    offer_policy: Omittable[OfferPolicy] = None
    offer_hold_hours: Omittable[WholeNumber] = Field(
        None, json_schema_extra={"minimum": 0, "maximum": 168}
    )
    reminder_offsets: Omittable[Minutes] = Field(
        None, description="Minutes before the start, up to five, each at most 14 days."
    )
    location: PlaceName | None = Field(
        None,
        description="Free text: the name of a room, or a location's name, slug or address. "
        "Unknown places answer 422.",
    )
    rrule: RepeatRule | None = Field(
        None,
        description="RFC 5545 RRULE in Europe/Copenhagen, e.g. FREQ=WEEKLY;BYDAY=WE; null for "
        "a single date. Daily or coarser (FREQ=DAILY, WEEKLY, MONTHLY, YEARLY); time slots "
        f"within a day by BYHOUR and BYMINUTE, at most {MAX_SLOTS_PER_DAY} a day; at most "
        f"{MAX_SESSIONS} sessions within three years. Other rules answer 422 with fields.rrule "
        "saying why. An unbounded rule "
        "is expanded only to the planning horizon (and never more than three years ahead).",
    )
    starts_on: Omittable[IsoDate] = None
    start_time: Omittable[ClockTime] = None
    duration_minutes: Omittable[WholeNumber] = Field(
        None, json_schema_extra={"minimum": 1, "maximum": 1440}
    )
    visibility: Omittable[Visibility] = None
    sensitive: Omittable[Flag] = None
    women_only: Omittable[Flag] = None
    childcare: Omittable[Flag] = None
    food_served: Omittable[Flag] = None
    step_free: Omittable[Flag] = None
    wellbeing_pulse: Omittable[Flag] = Field(
        None, description='After a check-in, ask "How are you today?" (counts only, no names).'
    )
    spoken_languages: Omittable[Words] = None
    interpreter_languages: Omittable[Words] = None

    def applied_to(self, data: ActivityData, place: Place) -> ActivityData:
        """`data` with the fields this request sent; `place` finds a room or location."""
        sent = self.model_fields_set & set(ActivityFields.model_fields)
        changes: dict[str, Any] = {name: getattr(self, name) for name in sent}
        if "rrule" in changes:
            changes["rrule"] = changes["rrule"] or None
        if "location" in changes:
            text = changes.pop("location")
            changes["location_id"], changes["room_id"] = place(text) if text else (None, None)
        return replace(data, **changes)


class ActivityInput(ActivityFields):
    """A new activity (POST /api/v1/activities)."""

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["slug", "title", "category", "starts_on", "start_time", "duration_minutes"]
        }
    )


class ActivityChanges(ActivityFields):
    """Some fields of an activity (PATCH); `version` refuses a save over someone else's."""

    version: WholeNumber | None = Field(
        None, description="The version you read; a newer one answers 409 conflict."
    )


class Activity(ApiModel):
    """An activity as partners see it (never anything about its participants)."""

    id: int
    slug: str
    title: dict[str, str] = Field(description="Language code → text.")
    summary: dict[str, str]
    category: Category
    activity_type: ActivityType
    mode: Mode
    capacity: int | None = Field(json_schema_extra={"minimum": 0})
    visibility: Visibility
    sensitive: bool
    wellbeing_pulse: bool
    location: str | None
    room: str | None
    rrule: str | None
    starts_on: date
    start_time: ClockTime
    duration_minutes: int
    version: int
    archived: bool

    @classmethod
    def of(cls, activity: ActivityRow) -> Activity:
        return cls(**_activity_fields(activity))


class ActivityChanged(Activity):
    """An activity after a PATCH, with how many change texts were queued."""

    notices: int

    @classmethod
    def of_change(cls, activity: ActivityRow, notices: int) -> ActivityChanged:
        return cls(**_activity_fields(activity), notices=notices)


def _activity_fields(activity: ActivityRow) -> dict[str, Any]:
    return {
        "id": activity.id,
        "slug": activity.slug,
        "title": dict(activity.title),
        "summary": dict(activity.summary),
        "category": activity.category,
        "activity_type": activity.activity_type,
        "mode": activity.mode,
        "capacity": activity.capacity,
        "visibility": activity.visibility,
        "sensitive": activity.sensitive,
        "wellbeing_pulse": activity.wellbeing_pulse,
        "location": activity.location.name if activity.location else None,
        "room": activity.room.name if activity.room else None,
        "rrule": activity.rrule,
        "starts_on": activity.starts_on,
        "start_time": activity.start_time,
        "duration_minutes": activity.duration_minutes,
        "version": activity.version,
        "archived": activity.archived_at is not None,
    }


class ActivityCreated(ApiModel):
    """A new activity's id and slug (its sessions are made already)."""

    id: int
    slug: str


# ---------------------------------------------------------------- bookings


class BookingRequest(ApiModel):
    """A person to sign up; their consents are recorded as given to the token's owner."""

    name: Annotated[Line, Says(_l("Required: a first name or nickname."))] = Field(
        description="A first name or nickname."
    )
    phone: Annotated[Line | None, EMPTY_IS_LEFT_OUT] = Field(
        None, description="A mobile number, e.g. 20 12 34 56 or +45 20 12 34 56."
    )
    language: Annotated[LanguageCode | None, EMPTY_IS_LEFT_OUT] = Field(
        None,
        description="The person's language; the house's first language (Danish) when left out.",
    )
    channel: Annotated[Channel | None, EMPTY_IS_LEFT_OUT] = Field(
        None, description="How the person found the house; other when left out."
    )
    wants_company: Flag = False
    guests: int = Field(
        0,
        ge=0,
        le=MAX_GUESTS,
        description="People coming along on this booking (family on the same phone); each "
        "takes a seat too.",
    )
    sms_consent: Flag = Field(False, description="Texts (reminders) are wanted; needs phone.")
    health_consent: Flag = Field(
        False, description="Required for a sensitive activity (GDPR art. 9)."
    )

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("blank")
        return name

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str | None, info: ValidationInfo) -> str | None:
        if phone is None:
            return None
        try:
            return normalise_phone(phone, cast(dict[str, Any], info.context)["phone_regions"])
        except HavehusError as error:
            raise rule_broken(error.message) from None

    @field_validator("sms_consent")
    @classmethod
    def _needs_a_phone(cls, given: bool, info: ValidationInfo) -> bool:
        if given and not info.data.get("phone"):
            raise rule_broken(_("Consent to text messages needs a phone number."))
        return given

    def sign_up(self, default_language: str) -> SignUp:
        """The service's sign-up for this request (source "api")."""
        person = Person(
            name=self.name,
            phone=self.phone,
            language=self.language or default_language,
            channel=self.channel or "other",
        )
        return SignUp(
            person=person,
            source="api",
            sms_consent=self.sms_consent,
            health_consent=self.health_consent,
            wants_company=self.wants_company,
            guests=self.guests,
        )


class Booking(ApiModel):
    """A booking made (or found again) through the API."""

    id: int | None = Field(
        description="null for a health appointment when the token is below manager: it may not "
        "learn whether the person had booked before."
    )
    status: Annotated[str, OneOf(BOOKING_STATUSES)] = Field(
        description="confirmed or waitlisted for a new booking. For a health appointment and "
        "a token below manager, a person booked before gets what a new booking would get now "
        "(the status, the waiting-list place, or 409 full), so the answer does not tell."
    )
    position: int | None = Field(description="Place on the waiting list, else null.")
    guests: int = Field(description="People coming along on the booking; each holds a seat.")


# ---------------------------------------------------------------- answers


def answer(shape: ApiModel | list[Any], status: int = 200) -> tuple[Response, int]:
    """A JSON answer written by its model (or a list of them)."""
    if isinstance(shape, list):
        return jsonify([item.model_dump(mode="json") for item in shape]), status
    return jsonify(shape.model_dump(mode="json")), status


def refuse(
    code: str, message: str, status: int, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    """An Error answer; "fields" only when there are some."""
    error = Error(code=code, message=message, fields=fields or None)
    return jsonify(error.model_dump(mode="json", exclude_none=True)), status
