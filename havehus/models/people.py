"""Participants, their consents, housing departments, staff users and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.program import _in
from havehus.orm import UTCDateTime

CHANNELS = ("drop-in", "sundhedsformidler", "social-henvisning", "housing-staff", "friend", "other")
CONSENT_KINDS = ("sms", "health", "marketing")
ROLES = ("admin", "manager", "host", "partner")
#: A staff user's roles: those above, and a translator — a resident or health communicator who
#: reviews the texts of their own language and sees nothing else (no API token has this role).
STAFF_ROLES = (*ROLES, "translator")
#: Roles that change the program and see who booked a health appointment.
MANAGERS = ("admin", "manager")


class Department(Model):
    """A housing department (afdeling) of the area; reports break figures down by it."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    populations: Mapped[list[DepartmentPopulation]] = relationship(
        back_populates="department", order_by="DepartmentPopulation.year"
    )

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


class DepartmentPopulation(Model):
    """Residents of a department in one year: the denominator of participation rates."""

    __tablename__ = "department_population"
    __table_args__ = (
        UniqueConstraint("department_id", "year"),
        CheckConstraint("residents >= 0 AND adults >= 0", name="non_negative"),
        CheckConstraint("adults <= residents", name="adults_within_residents"),
        CheckConstraint(
            "residents_65_plus IS NULL OR (residents_65_plus >= 0 AND residents_65_plus <= adults)",
            name="seniors_within_adults",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    year: Mapped[int]
    #: Residents of all ages; None when unknown (`havehus import-departments` gives 18+ and 65+).
    residents: Mapped[int | None]
    #: Residents aged 18 or more.
    adults: Mapped[int]
    #: Residents aged 65 or more; None when unknown.
    residents_65_plus: Mapped[int | None]
    #: Where the figures come from, e.g. "BL Boligtal 2026" or "Afdelingens beboerliste".
    source: Mapped[str | None] = mapped_column(String(200))

    department: Mapped[Department] = relationship(back_populates="populations")

    def __repr__(self) -> str:
        return f"<DepartmentPopulation {self.department_id} {self.year}>"


class Participant(Model):
    """A resident who takes part; pseudonymous, with as little data as possible."""

    __tablename__ = "participant"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(
            "birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2100)",
            name="birth_year_plausible",
        ),
        Index("ix_participant_phone", "phone"),
        # A number belongs to one live person: the texts, "my bookings" and LINK follow it.
        # Family sharing a phone come along on that person's bookings (Booking.guests).
        Index(
            "uq_participant_live_phone",
            "phone",
            unique=True,
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
        Index("uq_participant_import_key", "import_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random pseudonymous id used in exports instead of the row id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: May be a first name or a nickname only.
    display_name: Mapped[str] = mapped_column(String(120))
    #: E.164, e.g. +4512345678; optional.
    phone: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="da")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    #: True when the person lives outside the area (department_id is then None).
    outside_area: Mapped[bool] = mapped_column(default=False)
    birth_year: Mapped[int | None]
    #: How the person found the house: the recruitment channel.
    channel: Mapped[str] = mapped_column(String(20), default="other")
    #: Visible to staff only.
    staff_note: Mapped[str | None] = mapped_column(Text)
    #: Set when texts cannot reach the number (invalid number reported by the SMS provider).
    phone_unreachable: Mapped[bool] = mapped_column(default=False)
    #: When the person last typed back a code texted to `phone`: the number is theirs, so texts
    #: about their own bookings (confirmation, a free seat) need no reminder consent.
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: Last booking, visit or reply; retention counts from here.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person asked (on their "my bookings" page) for their data to be deleted.
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The person asked (on their "my bookings" page) for a copy of their data; cleared when a
    #: manager has handed it over.
    copy_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A person imported from an old attendance list: the keyed hash (HMAC with the app's
    #: secret) of the name or key the list used, never the name itself, so a later import finds
    #: the same person again (`havehus import-attendance`).
    import_key: Mapped[str | None] = mapped_column(String(64))

    department: Mapped[Department | None] = relationship()
    consents: Mapped[list[Consent]] = relationship(
        back_populates="participant", order_by="Consent.given_at"
    )

    def __repr__(self) -> str:
        return f"<Participant {self.public_id}>"


class Consent(Model):
    """A consent given (and perhaps withdrawn), with the wording version and who recorded it."""

    __tablename__ = "consent"
    __table_args__ = (CheckConstraint(_in("kind", CONSENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    #: Which wording the person agreed to, e.g. "sms-2026-03".
    wording_version: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Staff user who recorded it on the person's behalf; None when the person gave it themself.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant] = relationship(back_populates="consents")

    def __repr__(self) -> str:
        return f"<Consent {self.kind} {self.participant_id}>"


class StaffUser(UserMixin, Model):
    """A person who works in the house or with it: admin, manager, host or partner."""

    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(10))
    #: argon2id hash; None until the invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: For shift reminders by text; E.164.
    phone: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="da")
    #: A translator's language: the one whose strings they review.
    translates: Mapped[str | None] = mapped_column(String(10))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: Last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None]
    #: Bumped to sign the user out everywhere.
    session_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The session's user id carries the generation, so old sessions stop matching."""
        return f"{self.id}:{self.session_generation}"


class AuditEvent(Model):
    """Who did what to which record, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    #: "user", "token", "kiosk", "cli", "worker" or "public".
    actor_kind: Mapped[str] = mapped_column(String(10))
    #: Dotted verb, e.g. "activity.create", "session.cancel", "auth.login_failed".
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor_user: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.at:%Y-%m-%d %H:%M}>"
