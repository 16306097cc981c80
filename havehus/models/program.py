"""Locations, rooms, activities, their sessions, closures and the program version."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model, db
from havehus.orm import UTCDateTime

if TYPE_CHECKING:
    from havehus.models.people import StaffUser

CATEGORIES = (
    "garden",
    "food",
    "crafts",
    "walking",
    "health",
    "language",
    "reading",
    "music",
    "meeting",
    "other",
)
ACTIVITY_TYPES = (
    "network",  # netværksaktivitet
    "theme",  # temaarrangement
    "workshop",
    "course",  # forløb
    "popup",
    "health_event",  # sundhedsevent
    "department_meeting",  # afdelingsmøde
    "open_house",
    "staff_meeting",
)


class Mode(StrEnum):
    """How people take part: just come, sign up per session, or enrol in the whole course."""

    DROP_IN = "drop_in"
    SIGNUP = "signup"
    ENROLMENT = "enrolment"


class Visibility(StrEnum):
    PUBLIC = "public"
    PARTNERS = "partners"
    STAFF = "staff"


class SessionStatus(StrEnum):
    """A session is scheduled or cancelled; a move keeps it scheduled and raises its sequence."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


MODES = tuple(Mode)
VISIBILITIES = tuple(Visibility)
OFFER_POLICIES = ("immediate", "hold")
SESSION_STATUSES = tuple(SessionStatus)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Location(Model):
    """A house or a place where activities happen (Havehuset, the shared garden, the park)."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Street address, shown on pages and in calendar LOCATION.
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    rooms: Mapped[list[Room]] = relationship(back_populates="location", order_by="Room.name")

    def __repr__(self) -> str:
        return f"<Location {self.slug}>"


class Room(Model):
    """A room or area inside a location."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))

    location: Mapped[Location] = relationship(back_populates="rooms")

    def __repr__(self) -> str:
        return f"<Room {self.name}>"


activity_host = Table(
    "activity_host",
    db.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
)

session_host = Table(
    "session_host",
    db.metadata,
    Column("session_id", ForeignKey("session.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(Model):
    """A recurring series in the program, e.g. Sammen om maden every Thursday."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("activity_type", ACTIVITY_TYPES), name="activity_type"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
        CheckConstraint(_in("offer_policy", OFFER_POLICIES), name="offer_policy"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("offer_hold_hours >= 0", name="offer_hold_non_negative"),
        CheckConstraint("mode = 'drop_in' OR capacity IS NOT NULL", name="capacity_for_bookable"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: Language code → text, e.g. {"da": "Sammen om maden", "en": "Cooking together"}.
    title: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Language code → one or two short sentences for the public program.
    summary: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Language code → the wording used in texts and personal feeds of a sensitive activity.
    neutral_title: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    category: Mapped[str] = mapped_column(String(20))
    activity_type: Mapped[str] = mapped_column(String(30), default="network")
    theme_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: File name (without .svg) of a pictogram in static/pictograms; defaults to the category's.
    pictogram: Mapped[str | None] = mapped_column(String(60))
    photo: Mapped[str | None] = mapped_column(String(200))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    #: Free text such as "20 kr, paid on the day"; the house takes no payments.
    price_text: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(12), default="drop_in")
    capacity: Mapped[int | None]
    #: Places held in a course (enrolment); changed only by conditional UPDATEs.
    places_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    #: A sign-up session may also welcome people who just turn up (they never take a seat).
    walk_ins_welcome: Mapped[bool] = mapped_column(default=False)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    offer_policy: Mapped[str] = mapped_column(String(10), default="immediate")
    offer_hold_hours: Mapped[int] = mapped_column(default=12)
    #: Minutes before the start at which reminders go out, e.g. [1440, 180].
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440, 180])
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    sensitive: Mapped[bool] = mapped_column(default=False)
    women_only: Mapped[bool] = mapped_column(default=False)
    childcare: Mapped[bool] = mapped_column(default=False)
    food_served: Mapped[bool] = mapped_column(default=False)
    step_free: Mapped[bool] = mapped_column(default=True)
    #: After a check-in, ask "How are you today?" (five faces, counted per session, no names).
    wellbeing_pulse: Mapped[bool] = mapped_column(default=False, server_default=false())
    spoken_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interpreter_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: RFC 5545 RRULE without DTSTART, computed in the house's time zone; None for a one-off.
    rrule: Mapped[str | None] = mapped_column(String(500))
    starts_on: Mapped[date]
    start_time: Mapped[time]
    duration_minutes: Mapped[int]
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Optimistic lock: a save based on an older version is refused.
    version: Mapped[int] = mapped_column()
    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    location: Mapped[Location | None] = relationship()
    room: Mapped[Room | None] = relationship()
    sessions: Mapped[list[Session]] = relationship(
        back_populates="activity", order_by="Session.starts_at"
    )
    hosts: Mapped[list[StaffUser]] = relationship(secondary=activity_host)

    def __repr__(self) -> str:
        return f"<Activity {self.slug}>"


class Session(Model):
    """One occurrence of an activity, with concrete start and end (stored in UTC)."""

    __tablename__ = "session"
    __table_args__ = (
        CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_non_negative"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        # A recurrence occurrence is created once, however often the horizon is expanded.
        UniqueConstraint("activity_id", "occurrence_start"),
        Index("ix_session_starts_at_status", "starts_at", "status"),
        # What has not ended yet (the kiosk, an activity's coming dates, a page's next change).
        Index("ix_session_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    #: Stable iCalendar UID; never changes, even when the session moves.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    #: The start the recurrence rule produced (RECURRENCE-ID); None for a one-off session.
    occurrence_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: iCalendar SEQUENCE: bumped on every change of time, place or status.
    sequence: Mapped[int] = mapped_column(default=0)
    # Overrides of the activity's values for this session only (None: use the activity's).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    capacity: Mapped[int | None]
    note: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Seats held by confirmed and offered bookings; changed only by conditional UPDATEs.
    seats_taken: Mapped[int] = mapped_column(default=0)
    #: A day of history brought in by `havehus import-attendance` (at a fixed neutral time),
    #: not a session the program planned.
    imported: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    activity: Mapped[Activity] = relationship(back_populates="sessions")
    location: Mapped[Location | None] = relationship()
    room: Mapped[Room | None] = relationship()
    hosts: Mapped[list[StaffUser]] = relationship(secondary=session_host)

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.activity_id} {self.starts_at:%Y-%m-%d %H:%M}Z>"

    @property
    def effective_capacity(self) -> int | None:
        """The seats of this session: its own override, else the activity's (a course's places)."""
        if self.activity.mode == "drop_in":
            return None
        if self.activity.mode == "enrolment":
            return self.activity.capacity
        return self.capacity if self.capacity is not None else self.activity.capacity

    @property
    def seats_left(self) -> int | None:
        """Seats still free; for a course, the places left in the whole course."""
        capacity = self.effective_capacity
        if capacity is None:
            return None
        taken = (
            self.activity.places_taken if self.activity.mode == "enrolment" else self.seats_taken
        )
        return max(capacity - taken, 0)

    @property
    def effective_location(self) -> Location | None:
        return self.location or self.activity.location

    @property
    def effective_room(self) -> Room | None:
        return self.room or self.activity.room


class Closure(Model):
    """Days the house (or one location) is closed: holidays, summer break."""

    __tablename__ = "closure"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None closes every location.
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Closure {self.starts_on}–{self.ends_on}>"

    def covers(self, day: date, location_id: int | None) -> bool:
        in_range = self.starts_on <= day <= self.ends_on
        return in_range and (self.location_id is None or self.location_id == location_id)


class ProgramVersion(Model):
    """A single row of two numbers caches key on: `version` changes whenever the program
    changes (the planner, the horizon), `seats_version` whenever seats left or a waiting list
    may have changed (bookings, cancellations, check-ins) — so a booking does not rebuild what
    shows no seats (the public feeds)."""

    __tablename__ = "program_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    version: Mapped[int] = mapped_column(default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seats_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    seats_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ProgramVersion {self.version}>"
