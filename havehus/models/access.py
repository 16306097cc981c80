"""Credentials other than passwords: API tokens, feed tokens and kiosk devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from havehus.extensions import Model
from havehus.models.people import ROLES, Participant, StaffUser
from havehus.models.program import Location, _in
from havehus.orm import UTCDateTime

FEED_KINDS = ("partner", "personal")


class ApiToken(Model):
    """A bearer token for a partner system, scoped by role; only its hash is stored."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))
    #: SHA-256 hex of the token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so staff can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.name} {self.role}>"


class FeedToken(Model):
    """A secret calendar-feed address: a partner's filtered feed or a person's own bookings."""

    __tablename__ = "feed_token"
    __table_args__ = (
        CheckConstraint(_in("kind", FEED_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'personal' AND participant_id IS NOT NULL) OR kind = 'partner'",
            name="personal_has_participant",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(10), default="da")
    #: Categories a partner feed is limited to; empty means all.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE")
    )
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant: Mapped[Participant | None] = relationship()

    def __repr__(self) -> str:
        return f"<FeedToken {self.kind} {self.id}>"


class KioskDevice(Model):
    """An enrolled tablet in the house, recognised by a long-lived device cookie."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location | None] = relationship()

    def __repr__(self) -> str:
        return f"<KioskDevice {self.name}>"


INVITE_PURPOSES = ("invite", "reset")


class StaffInvite(Model):
    """A one-time link to set a password: for a new user (invite) or a forgotten one (reset)."""

    __tablename__ = "staff_invite"
    __table_args__ = (CheckConstraint(_in("purpose", INVITE_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff_user: Mapped[StaffUser] = relationship(foreign_keys=[staff_user_id])

    def __repr__(self) -> str:
        return f"<StaffInvite {self.purpose} {self.staff_user_id}>"


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator app; only its hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.staff_user_id}>"


class LoginAttempt(Model):
    """One try to sign in, kept for throttling and to tell the owner about failed tries."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    #: A browser that signed in to this account before: its device key (a hash), else None.
    #: Its failures count only against itself, not against the account or the address.
    device: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.email} {self.succeeded}>"


class StaffSession(Model):
    """One signed-in browser of a staff user; its cookie holds a random token, stored hashed.

    Signing out ends it here, so a copy of the cookie kept from before opens nothing.
    """

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_staff_user_id", "staff_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    #: SHA-256 hex of the token in the session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The latest a session may last (12 hours after signing in), however busy.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Signed out, timed out, or the browser became a kiosk; None while it lasts.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<StaffSession {self.staff_user_id} {'ended' if self.ended_at else 'live'}>"
