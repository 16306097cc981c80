"""Deleting on time: what the privacy page promises, done every day by the worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount
from havehus.models import (
    Activity,
    AuditEvent,
    Booking,
    Consent,
    FeedToken,
    InboundMessage,
    LoginAttempt,
    MessageStatus,
    OutboundMessage,
    Participant,
    Session,
    SignupChallenge,
    Tally,
    Visit,
)
from havehus.models.signup import SEAT_COUNTED
from havehus.orm import OrmSession
from havehus.people import audit, erasure, staff_sessions

#: A month for retention purposes (the promise is "at most N months").
MONTH = timedelta(days=30)
#: Texts in these states are settled: nothing will send them again, so their body and number
#: may go (a pending, claimed or unknown text still needs both).
SETTLED = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.SKIPPED,
)


@dataclass(frozen=True)
class Periods:
    """How long each kind of record is kept: one setting each (config/default.toml), shown on
    the privacy page and in docs/privacy.md from the same values."""

    #: A person's name, number and details, after their last visit or booking.
    retention_months: int
    #: Sign-ups for sensitive (health) activities, after the session; a head count stays.
    sensitive_retention_days: int
    #: Texts sent (body and number) and texts received; the counts and costs stay.
    text_retention_days: int
    #: A texted sign-up code, after it was asked for.
    signup_code_retention_days: int
    #: Staff sign-in attempts (email and address), for throttling.
    login_attempt_retention_days: int
    #: Staff sessions, after they ended or ran out.
    staff_session_retention_days: int
    #: The audit trail: who did what, and when.
    audit_retention_months: int

    @classmethod
    def from_settings(cls, settings: Settings | Mapping[str, Any]) -> Periods:
        """From the typed settings, or the mapping `load_settings()` returns."""
        return cls(**{field.name: int(_setting(settings, field.name)) for field in fields(cls)})


def _setting(settings: Settings | Mapping[str, Any], name: str) -> Any:
    return settings[name] if isinstance(settings, Mapping) else getattr(settings, name)


#: What each period ends, for the retention table of docs/privacy.md (`havehus retention-table`).
ENDS: dict[str, tuple[str, str]] = {
    "retention_months": (
        "months after the last visit or booking",
        "a participant's name, number, year of birth, notes, consents, calendar links, texts "
        "and follow-up entries (a nameless row stays, so the figures stay true)",
    ),
    "sensitive_retention_days": (
        "days after the session",
        "sign-ups and named visits of sensitive (health) activities (an anonymous head count "
        "stays) and the health consent",
    ),
    "text_retention_days": (
        "days after the text",
        "the words and number of texts sent (once settled) and received (kind, status, "
        "segments, costs and times stay)",
    ),
    "signup_code_retention_days": ("days after it was asked for", "a texted sign-up code"),
    "login_attempt_retention_days": ("days", "staff sign-in attempts (e-mail, address)"),
    "staff_session_retention_days": ("days after it ended", "a staff session"),
    "audit_retention_months": ("months", "audit entries, access log included"),
    "backup_keep": ("nights", "nightly backups (the oldest is deleted)"),
}


def retention_table(settings: Settings | Mapping[str, Any]) -> str:
    """The retention table of docs/privacy.md, from the settings (Markdown)."""
    lines = ["| setting | kept for | what ends |", "|---|---|---|"]
    for key, (unit, what) in ENDS.items():
        value = _setting(settings, key)
        if value == 1:  # "1 day", "1 month", "1 night"
            unit = unit.replace("s", "", 1) if unit.split()[0].endswith("s") else unit
        lines.append(f"| `{key}` | {value} {unit} | {what} |")
    lines.append(
        "| opt-outs (STOP) | never | kept as a keyed hash of the number, so no later import or "
        "sign-up texts the number |"
    )
    return "\n".join(lines) + "\n"


@dataclass
class RetentionRun:
    anonymised: int = 0
    sensitive_bookings_erased: int = 0
    texts_reduced: int = 0
    replies_reduced: int = 0
    challenges_deleted: int = 0
    login_attempts_deleted: int = 0
    staff_sessions_deleted: int = 0
    audit_events_deleted: int = 0


def anonymise_inactive(orm: OrmSession, now: datetime, months: int) -> int:
    """Erase name, number and other details of people not seen for `months` months.

    Their bookings stay (without a person behind them), so past head counts stay honest.
    """
    cutoff = now - months * MONTH
    last_seen = func.coalesce(Participant.last_seen_at, Participant.created_at)
    ids = orm.scalars(
        select(Participant.id).where(Participant.anonymised_at.is_(None), last_seen < cutoff)
    ).all()
    if not ids:
        return 0
    anonymise(orm, list(ids), now)
    audit.record(orm, "retention.anonymise", now, audit.WORKER, details={"count": len(ids)})
    return len(ids)


def anonymise(orm: OrmSession, ids: list[int], now: datetime) -> None:
    """Erase the personal data of these participants everywhere (their texts, notes, the
    follow-up list, the audit trail's details: `erasure.erase_traces`); their bookings,
    visits and counts stay, nameless, so the figures do not change."""
    erasure.erase_traces(
        orm, orm.scalars(select(Participant).where(Participant.id.in_(ids))).all(), now
    )
    orm.execute(
        update(Participant)
        .where(Participant.id.in_(ids))
        .values(
            display_name="",
            phone=None,
            birth_year=None,
            staff_note=None,
            import_key=None,
            erasure_requested_at=None,
            anonymised_at=now,
        )
    )
    orm.execute(delete(Consent).where(Consent.participant_id.in_(ids)))
    orm.execute(
        update(FeedToken)
        .where(FeedToken.participant_id.in_(ids), FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def erase_sensitive_bookings(orm: OrmSession, now: datetime, days: int) -> int:
    """Delete sign-ups and named visits of sensitive sessions that ended `days` ago; keep an
    anonymous count of who came (each visit and the guests its booking brought)."""
    cutoff = now - timedelta(days=days)
    ended = (
        select(Session.id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(Activity.sensitive.is_(True), Session.ends_at < cutoff)
    )
    rows = orm.execute(
        select(
            Booking.id, Booking.session_id, Booking.status, Booking.participant_id, Booking.guests
        ).where(Booking.session_id.in_(ended))
    ).all()
    visits = orm.execute(
        select(Visit.id, Visit.session_id, Visit.participant_id, Booking.guests)
        .outerjoin(Booking, Booking.id == Visit.booking_id)
        .where(Visit.session_id.in_(ended))
    ).all()
    if not rows and not visits:
        return 0
    came: dict[int, int] = {}
    for _id, visited, _person, brought in visits:  # they came, with the guests they brought
        came[visited] = came.get(visited, 0) + 1 + (brought or 0)
    seats: dict[int, int] = {}
    for _id, session_id, status, _person, guests in rows:
        if status in SEAT_COUNTED and session_id is not None:
            seats[session_id] = seats.get(session_id, 0) + 1 + guests
    # The session's seat counter counted these bookings; it goes down with them, so counters
    # and bookings keep agreeing (`havehus check`). The count of who came stays in the tally.
    for session_id, count in seats.items():
        orm.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(seats_taken=Session.seats_taken - count)
        )
    for session_id, count in came.items():
        tally = orm.scalar(
            select(Tally).where(Tally.session_id == session_id, Tally.kind == "adults")
        )
        if tally is None:
            orm.add(Tally(session_id=session_id, kind="adults", count=count, updated_at=now))
        else:
            tally.count += count
            tally.updated_at = now
    orm.execute(delete(Visit).where(Visit.id.in_([visit[0] for visit in visits])))
    orm.execute(delete(Booking).where(Booking.id.in_([row[0] for row in rows])))
    people = {row[3] for row in rows} | {visit[2] for visit in visits}
    still_booked = set(
        orm.scalars(
            select(Booking.participant_id)
            .join(Session, Session.id == Booking.session_id)
            .join(Activity, Activity.id == Session.activity_id)
            .where(Booking.participant_id.in_(people), Activity.sensitive.is_(True))
        )
    )
    orm.execute(
        delete(Consent).where(
            Consent.kind == "health", Consent.participant_id.in_(people - still_booked)
        )
    )
    details = {"bookings": len(rows), "visits": len(visits)}
    audit.record(orm, "retention.sensitive", now, audit.WORKER, details=details)
    return len(rows)


def reduce_old_texts(orm: OrmSession, now: datetime, days: int) -> tuple[int, int]:
    """Texts older than `days` lose what they said and to whom; (sent, received) reduced.

    A text sent keeps its kind, status, segments, error code and times, so delivery figures
    and costs stay true; a reply keeps what it was understood as (yes, no, stop …) and when.
    """
    cutoff = now - timedelta(days=days)
    sent = execute_rowcount(
        orm,
        update(OutboundMessage)
        .where(
            OutboundMessage.created_at < cutoff,
            OutboundMessage.status.in_(SETTLED),
            OutboundMessage.to_phone != "",
        )
        .values(to_phone="", body="", last_error=None),
    )
    received = execute_rowcount(
        orm,
        update(InboundMessage)
        .where(InboundMessage.received_at < cutoff, InboundMessage.from_phone != "")
        .values(from_phone="", body=""),
    )
    return sent, received


def apply_retention(orm: OrmSession, now: datetime, periods: Periods) -> RetentionRun:
    """Every rule of deleting on time, each by its own setting; run daily by the worker."""
    run = RetentionRun()
    run.anonymised = anonymise_inactive(orm, now, periods.retention_months)
    run.sensitive_bookings_erased = erase_sensitive_bookings(
        orm, now, periods.sensitive_retention_days
    )
    run.texts_reduced, run.replies_reduced = reduce_old_texts(orm, now, periods.text_retention_days)
    run.challenges_deleted = execute_rowcount(
        orm,
        delete(SignupChallenge).where(
            SignupChallenge.created_at < now - timedelta(days=periods.signup_code_retention_days)
        ),
    )
    run.login_attempts_deleted = execute_rowcount(
        orm,
        delete(LoginAttempt).where(
            LoginAttempt.at < now - timedelta(days=periods.login_attempt_retention_days)
        ),
    )
    run.staff_sessions_deleted = staff_sessions.delete_old(
        orm, now, timedelta(days=periods.staff_session_retention_days)
    )
    run.audit_events_deleted = execute_rowcount(
        orm,
        delete(AuditEvent).where(AuditEvent.at < now - periods.audit_retention_months * MONTH),
    )
    return run
