"""Who came: the one set of rules for marking, counting, closing and locking attendance.

A *visit* is a person at a session. A named visit is a Visit row — the person's booking marked
as come, or a known person who came without one (a walk-in); an anonymous visit is one in a
Tally. What marking does to seats is written once, here: an attended or no-show booking keeps
the seat it held (both stay in SEAT_COUNTED, so the session's counter does not move); a person
on the waiting list who came anyway is given a seat beside the others (overbooked: they are in
the room), and an undo gives it back.

Every tap of host mode carries an idempotency key (`claim_tap`): a retried request, a double
tap or a second host's same tap finds the key taken and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.models import (
    AttendanceTap,
    Booking,
    BookingStatus,
    Mode,
    Participant,
    Session,
    SessionAttendance,
    SessionStatus,
    Tally,
    Visit,
)
from havehus.models.attendance import TALLY_KINDS
from havehus.models.people import MANAGERS
from havehus.models.signup import LIVE, SEAT_HOLDING
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.program.services import bump_seats_version
from havehus.signup import seats as signup_seats
from havehus.signup.services import sees_who_booked
from havehus.signup.sign_up import Person, identify

#: A session's attendance can be changed until this long after it ended; then a manager
#: unlocks it (for UNLOCK_FOR), and every change meanwhile is audited.
LOCK_AFTER = timedelta(days=7)
UNLOCK_FOR = timedelta(days=1)
#: Host mode opens a session's sheet from this long before it starts.
OPENS_BEFORE = timedelta(hours=2)
#: Staff roles that keep attendance.
RECORDERS = ("admin", "manager", "host")
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
NOTE_LENGTH = 500


# ---------------------------------------------------------------- who may, and when


def sheet_of(orm: OrmSession, session: Session, now: datetime) -> SessionAttendance:
    """The session's attendance sheet (note, closed, unlocked), made on first use."""
    insert_ignoring_conflicts(
        orm, SessionAttendance, [{"session_id": session.id, "updated_at": now}]
    )
    sheet = orm.get(SessionAttendance, session.id)
    assert sheet is not None  # inserted just now, or already there
    return sheet


def locks_at(session: Session) -> datetime:
    return session.ends_at + LOCK_AFTER


def is_locked(session: Session, sheet: SessionAttendance | None, now: datetime) -> bool:
    """Locked 7 days after the end, unless a manager opened it again for a while."""
    if now < locks_at(session):
        return False
    return sheet is None or sheet.unlocked_until is None or sheet.unlocked_until <= now


def check_may_record(orm: OrmSession, session: Session, now: datetime, actor: Actor) -> None:
    """Hosts and above keep attendance of a session that took place or is about to, until
    it locks."""
    if actor.role not in RECORDERS:
        raise HavehusError(_("Only hosts can record who came."), "forbidden")
    if session.status == SessionStatus.CANCELLED:
        raise HavehusError(_("This session was cancelled."), "cancelled")
    if now < session.starts_at - OPENS_BEFORE:
        raise HavehusError(
            _("You can record who came when the session is about to start."), "early"
        )
    if is_locked(session, orm.get(SessionAttendance, session.id), now):
        raise HavehusError(
            _("This session is locked: ask the community manager to open it again."), "locked"
        )


def check_names_allowed(session: Session, actor: Actor) -> None:
    """Who came to a health appointment is a manager's to see and mark; hosts count."""
    if not sees_who_booked(actor, session.activity):
        raise HavehusError(
            _("Only the community manager can mark who came to a health appointment."),
            "forbidden",
        )


def _late(session: Session, now: datetime) -> bool:
    return now >= locks_at(session)


def _trace(
    orm: OrmSession, session: Session, action: str, now: datetime, actor: Actor, **details: object
) -> None:
    """Changes made after the lock (a manager opened the sheet) go into the audit trail."""
    if _late(session, now):
        audit.record(orm, f"attendance.{action}", now, actor, target=session, details=dict(details))


# ---------------------------------------------------------------- taps, once each


def claim_tap(
    orm: OrmSession,
    session: Session,
    key: str,
    action: str,
    subject: str,
    now: datetime,
    actor: Actor,
) -> bool:
    """Save a tap's key; False when that key was saved before (the tap is done already)."""
    if not _KEY.fullmatch(key or ""):
        raise HavehusError(
            _("This tap could not be read. Reload the page and tap again."), "invalid"
        )
    row = {
        "key": key,
        "session_id": session.id,
        "action": action,
        "subject": subject[:40],
        "recorded_by_id": actor.user_id,
        "at": now,
    }
    return insert_ignoring_conflicts(orm, AttendanceTap, [row]) == 1


def _booking_of(orm: OrmSession, session: Session, booking_id: int) -> Booking:
    booking = orm.get(Booking, booking_id)
    course = session.activity.mode == Mode.ENROLMENT
    belongs = booking is not None and (
        booking.activity_id == session.activity_id if course else booking.session_id == session.id
    )
    if booking is None or not belongs or booking.status not in LIVE:
        raise HavehusError(_("This booking is not on the list any more."), "not_found")
    return booking


def _tapped_booking(
    orm: OrmSession,
    session: Session,
    booking_id: int,
    key: str,
    action: str,
    now: datetime,
    actor: Actor,
) -> Booking | None:
    """The booking a came/not-came tap is about, once its key is saved; None for a repeat."""
    check_may_record(orm, session, now, actor)
    check_names_allowed(session, actor)
    booking = _booking_of(orm, session, booking_id)
    if not claim_tap(orm, session, key, action, f"booking:{booking.id}", now, actor):
        return None
    return booking


def mark_came(
    orm: OrmSession, session: Session, booking_id: int, key: str, now: datetime, actor: Actor
) -> bool:
    """Tap "came" on a booked person. False when this tap was saved before."""
    booking = _tapped_booking(orm, session, booking_id, key, "came", now, actor)
    if booking is None:
        return False
    _came(orm, session, booking, "host", now, actor)
    _trace(orm, session, "came", now, actor, booking=booking.id)
    return True


def mark_not_came(
    orm: OrmSession, session: Session, booking_id: int, key: str, now: datetime, actor: Actor
) -> bool:
    """Undo "came" on a booked person: their booking is as before it was tapped."""
    booking = _tapped_booking(orm, session, booking_id, key, "not_came", now, actor)
    if booking is None:
        return False
    visit = orm.scalar(
        select(Visit).where(
            Visit.session_id == session.id, Visit.participant_id == booking.participant_id
        )
    )
    if visit is not None:
        _forget_visit(orm, visit, now)
    elif booking.status == BookingStatus.ATTENDED:  # marked before visits were kept
        booking.status, booking.attended_at = BookingStatus.CONFIRMED, None
    _trace(orm, session, "not_came", now, actor, booking=booking.id)
    return True


def _came(
    orm: OrmSession, session: Session, booking: Booking, source: str, now: datetime, actor: Actor
) -> Visit:
    """The booked person is here: one visit, and the booking says so (a session booking)."""
    visit = _visit(orm, session, booking.participant_id, booking, source, now, actor)
    if booking.session_id is None or booking.status == BookingStatus.ATTENDED:
        return visit  # a course's enrolment stays; its sessions' visits tell who came
    if booking.status == BookingStatus.WAITLISTED:
        signup_seats.take_seat(orm, session, seats=booking.seats, overbook=True)
        bump_seats_version(orm, now)  # a walk-in from the waiting list fills a seat
    before = booking.status
    changed = execute_rowcount(
        orm,
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == before)
        .values(status=BookingStatus.ATTENDED, attended_at=now, updated_at=now),
    )
    orm.refresh(booking)
    if changed == 1 and visit.booking_status_before is None:
        visit.booking_status_before = before
    return visit


def _visit(
    orm: OrmSession,
    session: Session,
    participant_id: int,
    booking: Booking | None,
    source: str,
    now: datetime,
    actor: Actor,
) -> Visit:
    """The person's visit to the session: made once, found again however often they come."""
    row = {
        "session_id": session.id,
        "participant_id": participant_id,
        "booking_id": booking.id if booking is not None else None,
        "source": source,
        "recorded_by_id": actor.user_id,
        "at": now,
    }
    insert_ignoring_conflicts(orm, Visit, [row])
    visit = orm.scalar(
        select(Visit).where(Visit.session_id == session.id, Visit.participant_id == participant_id)
    )
    assert visit is not None  # inserted just now, or by the tap that came first
    person = orm.get(Participant, participant_id)
    if person is not None and (person.last_seen_at is None or person.last_seen_at < now):
        person.last_seen_at = now
    return visit


def _forget_visit(orm: OrmSession, visit: Visit, now: datetime) -> None:
    """Remove a named visit; a booking marked by it goes back to what it was."""
    booking = visit.booking
    before = visit.booking_status_before
    if booking is not None and booking.status == BookingStatus.ATTENDED and before:
        booking.status = before
        booking.attended_at = None
        if before == BookingStatus.WAITLISTED and booking.session is not None:
            signup_seats.release_seat(orm, booking.session, seats=booking.seats)
            bump_seats_version(orm, now)
    orm.delete(visit)
    orm.flush()


def remove_visit(
    orm: OrmSession, session: Session, visit_id: int, key: str, now: datetime, actor: Actor
) -> bool:
    """Take away a wrong check-in (a kiosk or QR one, or a walk-in added by mistake)."""
    check_may_record(orm, session, now, actor)
    check_names_allowed(session, actor)
    visit = orm.get(Visit, visit_id)
    if visit is None or visit.session_id != session.id:
        return False  # gone already: the same tap again, or another host was quicker
    if not claim_tap(orm, session, key, "remove_visit", f"visit:{visit.id}", now, actor):
        return False
    _forget_visit(orm, visit, now)
    _trace(orm, session, "remove_visit", now, actor, participant=visit.participant_id)
    return True


# ---------------------------------------------------------------- named visits from anywhere


def record_visit(
    orm: OrmSession,
    session: Session,
    participant: Participant,
    source: str,
    now: datetime,
    actor: Actor,
) -> Visit:
    """The one way a known person's visit is recorded (host, kiosk, QR): their booking is
    marked as come, or — without one — a walk-in visit. Once per person and session."""
    booking = live_booking_of(orm, session, participant)
    if booking is not None:
        return _came(orm, session, booking, source, now, actor)
    return _visit(orm, session, participant.id, None, source, now, actor)


def live_booking_of(orm: OrmSession, session: Session, participant: Participant) -> Booking | None:
    """The person's live booking for this session (for a course: their enrolment), if any."""
    course = session.activity.mode == Mode.ENROLMENT
    holder = (
        Booking.activity_id == session.activity_id if course else Booking.session_id == session.id
    )
    return orm.scalar(
        select(Booking).where(
            holder, Booking.participant_id == participant.id, Booking.status.in_(LIVE)
        )
    )


def add_person(
    orm: OrmSession, session: Session, person: Person, now: datetime, actor: Actor
) -> Visit:
    """ "Add someone" in host mode: the person is found or made exactly as a sign-up finds
    them (`sign_up.identify`: by id, by number, or new with just a first name), then their
    visit is recorded — their booking marked, or a walk-in."""
    check_may_record(orm, session, now, actor)
    check_names_allowed(session, actor)
    participant = identify(orm, person, now, actor)
    return record_visit(orm, session, participant, "host", now, actor)


# ---------------------------------------------------------------- anonymous counts


@dataclass(frozen=True)
class Counts:
    adults: int = 0
    children: int = 0
    first_timers: int = 0

    @property
    def visits(self) -> int:
        """Anonymous visits: adults and children (first-timers are among them)."""
        return self.adults + self.children


def counts(orm: OrmSession, session_id: int) -> Counts:
    found = dict(
        orm.execute(select(Tally.kind, Tally.count).where(Tally.session_id == session_id)).all()
    )
    return Counts(**{kind: int(found.get(kind, 0)) for kind in TALLY_KINDS})


def count(
    orm: OrmSession,
    session: Session,
    kind: str,
    delta: int,
    key: str,
    now: datetime,
    actor: Actor | None,
) -> bool:
    """+1 or −1 on an anonymous count, once per key, in one statement (never below zero).

    `actor` None is a kiosk or a QR code in the house: no staff rules apply, only the key.
    """
    if kind not in TALLY_KINDS or delta not in (1, -1):
        raise HavehusError(
            _("This tap could not be read. Reload the page and tap again."), "invalid"
        )
    if actor is not None:
        check_may_record(orm, session, now, actor)
        tapper = actor
    else:
        tapper = audit.PUBLIC
    action = "count" if delta > 0 else "uncount"
    if not claim_tap(orm, session, key, action, kind, now, tapper):
        return False
    _add_to_tally(orm, session, kind, delta, now, tapper.user_id)
    if actor is not None:
        _trace(orm, session, action, now, actor, kind=kind)
    return True


def _add_to_tally(
    orm: OrmSession, session: Session, kind: str, delta: int, now: datetime, user_id: int | None
) -> None:
    insert_ignoring_conflicts(
        orm, Tally, [{"session_id": session.id, "kind": kind, "count": 0, "updated_at": now}]
    )
    statement = update(Tally).where(Tally.session_id == session.id, Tally.kind == kind)
    if delta < 0:
        statement = statement.where(Tally.count > 0)
    execute_rowcount(
        orm, statement.values(count=Tally.count + delta, updated_at=now, recorded_by_id=user_id)
    )


# ---------------------------------------------------------------- the sheet: note, close, lock


def save_note(orm: OrmSession, session: Session, text: str, now: datetime, actor: Actor) -> None:
    check_may_record(orm, session, now, actor)
    text = (text or "").strip()
    if len(text) > NOTE_LENGTH:
        message = _("A note can be at most %(num)d characters.", num=NOTE_LENGTH)
        raise HavehusError(message, "invalid", fields={"note": message})
    sheet = sheet_of(orm, session, now)
    sheet.note = text or None
    sheet.updated_at = now
    _trace(orm, session, "note", now, actor)


def close(orm: OrmSession, session: Session, now: datetime, actor: Actor) -> int:
    """Close the session: every booked seat nobody marked as come becomes a no-show.

    Returns how many. A health appointment's no-shows are a manager's to mark; a course keeps
    its enrolments (who missed a session is who has no visit for it).
    """
    check_may_record(orm, session, now, actor)
    if now < session.starts_at:
        raise HavehusError(_("A session can be closed once it has started."), "early")
    marked = 0
    if session.activity.mode != Mode.ENROLMENT:
        check_names_allowed(session, actor)
        marked = execute_rowcount(
            orm,
            update(Booking)
            .where(Booking.session_id == session.id, Booking.status.in_(SEAT_HOLDING))
            .values(status=BookingStatus.NO_SHOW, updated_at=now),
        )
    sheet = sheet_of(orm, session, now)
    sheet.closed_at, sheet.closed_by_id, sheet.updated_at = now, actor.user_id, now
    _trace(orm, session, "close", now, actor, no_shows=marked)
    return marked


def unlock(orm: OrmSession, session: Session, now: datetime, actor: Actor) -> datetime:
    """A manager opens a locked session's attendance again for a day (audited)."""
    if actor.role not in MANAGERS:
        raise HavehusError(_("Only a manager can open a locked session again."), "forbidden")
    sheet = sheet_of(orm, session, now)
    sheet.unlocked_until = now + UNLOCK_FOR
    sheet.updated_at = now
    audit.record(orm, "attendance.unlock", now, actor, target=session)
    return sheet.unlocked_until


def visits_count(orm: OrmSession, session_id: int) -> int:
    """Named visits to a session."""
    return int(
        orm.scalar(select(func.count()).select_from(Visit).where(Visit.session_id == session_id))
        or 0
    )
