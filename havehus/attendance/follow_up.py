"""The follow-up list: whom to text or call, and what staff did about each.

Four reasons, each worked out from visits and bookings at `now`, each person once per reason:
- **missed twice**: the person's last two known outcomes (a visit, or a booking marked as not
  come) were both not come, the later one in the last MISSED_TWICE_WITHIN;
- **no-show**: the person's latest outcome is a booking marked as not come, at a session that
  started in the last NO_SHOW_WITHIN (and not twice in a row: that reason says more). Someone
  who has come since is not on the list: they are back;
- **first visit**: the person's first visit ever was to a session that started in the previous
  FIRST_VISIT_WITHIN;
- **not seen**: the person came before, but to no session that started in the last
  NOT_SEEN_FOR.
Anonymised people, and people who asked for their data to be deleted, are never on the list.

A host's list is worked out from what a host may see: the sessions of health appointments are
left out altogether, so that nothing on the list — nor anyone missing from it — tells a host
about one. A manager's list includes them (the page names them by their neutral wording).

What staff did (texted, called, done) is kept per person, reason and occurrence (the booking or
visit the reason is about), with who and when; "done" takes the person off the list until a new
occurrence. A follow-up text goes through the outbox once per occurrence, and never says what
the appointment was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, select, true, update
from sqlalchemy.orm import selectinload

from havehus.attendance import texts
from havehus.attendance.services import RECORDERS
from havehus.config import Settings
from havehus.dbutil import insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.messaging import outgoing
from havehus.messaging.quiet import QuietHours, in_quiet_hours, quiet_period_end
from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    Consent,
    FollowUp,
    MessageKind,
    Participant,
    Session,
    SessionStatus,
    Visit,
)
from havehus.models.follow_up import FOLLOW_UP_REASONS, FOLLOW_UP_STATES
from havehus.models.people import MANAGERS
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor

NO_SHOW_WITHIN = timedelta(days=14)
MISSED_TWICE_WITHIN = timedelta(days=42)
FIRST_VISIT_WITHIN = timedelta(days=7)
NOT_SEEN_FOR = timedelta(days=42)
#: A follow-up text not sent by then (the worker was down) is dropped: it would come too late.
TEXT_EXPIRES_AFTER = timedelta(days=1)

#: Why a person cannot get a follow-up text.
NO_PHONE, UNREACHABLE, OPTED_OUT, NO_CONSENT = "no_phone", "unreachable", "opted_out", "no_consent"


@dataclass(frozen=True)
class Entry:
    """One person on the follow-up list, for one reason."""

    participant: Participant
    reason: str
    #: The booking or visit the reason is about: "booking:<id>" or "visit:<id>".
    occurrence: str
    #: The session it is about (the latest no-show, the first or the last visit).
    session: Session
    #: What staff did about this occurrence; None while nobody has.
    mark: FollowUp | None = None
    #: Why no text can go to the person (NO_PHONE, …); None when one can.
    text_problem: str | None = None

    @property
    def at(self) -> datetime:
        return self.session.starts_at

    @property
    def state(self) -> str | None:
        return self.mark.state if self.mark is not None else None

    @property
    def sensitive(self) -> bool:
        return self.session.activity.sensitive


# ---------------------------------------------------------------- who may, what they see


def check_may_follow_up(actor: Actor) -> None:
    """Hosts (health communicators among them) and managers keep the follow-up list."""
    if actor.role not in RECORDERS:
        raise HavehusError(_("Only hosts can see the follow-up list."), "forbidden")


def sees_numbers(actor: Actor) -> bool:
    """Managers call people back, so their list has the whole number; hosts see the last four
    digits, as on every other staff page."""
    return actor.role in MANAGERS


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The sessions this actor's list is worked out from: a host's leaves out health ones."""
    if actor.role in MANAGERS:
        return true()
    return Activity.sensitive.is_(False)


def _reachable_people() -> list[ColumnElement[bool]]:
    return [Participant.anonymised_at.is_(None), Participant.erasure_requested_at.is_(None)]


# ---------------------------------------------------------------- the four reasons


@dataclass(frozen=True)
class _Outcome:
    """One thing that happened at a session: the person came (a visit) or did not (a booking
    marked as not come)."""

    at: datetime
    came: bool
    occurrence: str
    session: Session


def _outcomes(
    orm: OrmSession,
    visible: ColumnElement[bool],
    now: datetime,
    since: datetime,
    only: Iterable[int] | None,
) -> dict[int, list[_Outcome]]:
    """Everyone with a no-show at a session that started since `since`, with every outcome
    they had, oldest first."""
    no_show = (
        select(Booking.participant_id)
        .join(Session, Session.id == Booking.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .join(Participant, Participant.id == Booking.participant_id)
        .where(
            visible,
            *_reachable_people(),
            Booking.status == BookingStatus.NO_SHOW,
            Session.starts_at >= since,
            Session.starts_at <= now,
            Session.status != SessionStatus.CANCELLED,
        )
    )
    if only is not None:
        no_show = no_show.where(Booking.participant_id.in_(list(only)))
    people = set(orm.scalars(no_show.distinct()))
    if not people:
        return {}
    found: dict[int, list[_Outcome]] = {person: [] for person in people}
    missed = orm.execute(
        select(Booking.participant_id, Booking.id, Session)
        .join(Session, Session.id == Booking.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(
            visible,
            Booking.participant_id.in_(people),
            Booking.status == BookingStatus.NO_SHOW,
            Session.starts_at <= now,
            Session.status != SessionStatus.CANCELLED,
        )
        .options(selectinload(Session.activity))
    ).all()
    for person, booking_id, session in missed:
        found[person].append(_Outcome(session.starts_at, False, f"booking:{booking_id}", session))
    came = orm.execute(
        select(Visit.participant_id, Visit.id, Session)
        .join(Session, Session.id == Visit.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(visible, Visit.participant_id.in_(people))
        .options(selectinload(Session.activity))
    ).all()
    for person, visit_id, session in came:
        found[person].append(_Outcome(session.starts_at, True, f"visit:{visit_id}", session))
    for outcomes in found.values():
        # Came and not come at the same moment (two bookings at once): "came" counts as later.
        outcomes.sort(key=lambda outcome: (outcome.at, outcome.came))
    return found


def _missed(
    orm: OrmSession, visible: ColumnElement[bool], now: datetime, only: Iterable[int] | None
) -> list[tuple[str, int, str, Session]]:
    """Missed twice in a row, and recent no-shows: (reason, person, occurrence, session)."""
    since = now - max(MISSED_TWICE_WITHIN, NO_SHOW_WITHIN)
    found = []
    for person, outcomes in _outcomes(orm, visible, now, since, only).items():
        latest = outcomes[-1]
        if latest.came:
            continue  # they have come since: they are back
        twice = len(outcomes) >= 2 and not outcomes[-2].came
        if twice and latest.at >= now - MISSED_TWICE_WITHIN:
            found.append(("missed_twice", person, latest.occurrence, latest.session))
        elif latest.at >= now - NO_SHOW_WITHIN:
            found.append(("no_show", person, latest.occurrence, latest.session))
    return found


def _visit_edges(
    orm: OrmSession,
    visible: ColumnElement[bool],
    now: datetime,
    reason: str,
    only: Iterable[int] | None,
) -> list[tuple[str, int, str, Session]]:
    """First visits in the last week, or last visits over six weeks ago."""
    first = reason == "first_visit"
    edge = (func.min if first else func.max)(Session.starts_at)
    per_person = (
        select(Visit.participant_id.label("person"), edge.label("edge"))
        .join(Session, Session.id == Visit.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .where(visible)
        .group_by(Visit.participant_id)
    )
    if first:
        per_person = per_person.having(edge >= now - FIRST_VISIT_WITHIN, edge <= now)
    else:
        per_person = per_person.having(edge < now - NOT_SEEN_FOR)
    if only is not None:
        per_person = per_person.where(Visit.participant_id.in_(list(only)))
    edges = per_person.subquery()
    rows = orm.execute(
        select(Visit.participant_id, Visit.id, Session)
        .join(Session, Session.id == Visit.session_id)
        .join(Activity, Activity.id == Session.activity_id)
        .join(Participant, Participant.id == Visit.participant_id)
        .join(
            edges,
            (edges.c.person == Visit.participant_id) & (edges.c.edge == Session.starts_at),
        )
        .where(visible, *_reachable_people())
        .order_by(Visit.id)
        .options(selectinload(Session.activity))
    ).all()
    found: dict[int, tuple[str, int, str, Session]] = {}
    for person, visit_id, session in rows:  # two visits at the same moment: the first one
        found.setdefault(person, (reason, person, f"visit:{visit_id}", session))
    return list(found.values())


def _occurrences(
    orm: OrmSession,
    actor: Actor,
    now: datetime,
    reason: str | None,
    only: Iterable[int] | None = None,
) -> list[tuple[str, int, str, Session]]:
    visible = _visible(actor)
    found = []
    if reason in (None, "missed_twice", "no_show"):
        found += [row for row in _missed(orm, visible, now, only) if reason in (None, row[0])]
    for edge in ("first_visit", "not_seen"):
        if reason in (None, edge):
            found += _visit_edges(orm, visible, now, edge, only)
    return found


# ---------------------------------------------------------------- the list


def follow_up_list(
    orm: OrmSession,
    now: datetime,
    actor: Actor,
    *,
    reason: str | None = None,
    done: bool = False,
    settings: Settings,
) -> list[Entry]:
    """Everyone to follow up (or, with `done`, those marked done), most pressing first: by
    reason, then the latest occurrence first."""
    check_may_follow_up(actor)
    if reason is not None and reason not in FOLLOW_UP_REASONS:
        reason = None
    found = _occurrences(orm, actor, now, reason)
    people = {
        person.id: person
        for person in orm.scalars(
            select(Participant).where(Participant.id.in_({row[1] for row in found}))
        )
    }
    marks = _marks(orm, people)
    problems = _text_problems(orm, list(people.values()), settings)
    entries = []
    for why, person, occurrence, session in found:
        mark = marks.get((person, why, occurrence))
        if (mark is not None and mark.state == "done") != done:
            continue
        participant = people[person]
        entries.append(
            Entry(participant, why, occurrence, session, mark, problems.get(participant.id))
        )
    order = {why: index for index, why in enumerate(FOLLOW_UP_REASONS)}
    entries.sort(
        key=lambda e: (
            order[e.reason],
            -e.at.timestamp(),
            e.participant.display_name,
            e.participant.id,
        )
    )
    return entries


def _marks(orm: OrmSession, people: Iterable[int]) -> dict[tuple[int, str, str], FollowUp]:
    rows = orm.scalars(
        select(FollowUp)
        .where(FollowUp.participant_id.in_(list(people)))
        .options(selectinload(FollowUp.set_by))
    )
    return {(row.participant_id, row.reason, row.occurrence): row for row in rows}


def _text_problems(
    orm: OrmSession, people: list[Participant], settings: Settings
) -> dict[int, str]:
    """Why each of these people cannot get a text, for those who cannot."""
    consenting = set(
        orm.scalars(
            select(Consent.participant_id).where(
                Consent.participant_id.in_([person.id for person in people]),
                Consent.kind == "sms",
                Consent.withdrawn_at.is_(None),
            )
        )
    )
    stopped = outgoing.opted_out_among(orm, [person.phone for person in people], settings)
    problems = {}
    for person in people:
        if not person.phone:
            problems[person.id] = NO_PHONE
        elif person.phone in stopped:
            problems[person.id] = OPTED_OUT
        elif person.phone_unreachable:
            problems[person.id] = UNREACHABLE
        elif person.id not in consenting:
            problems[person.id] = NO_CONSENT
    return problems


def entry_of(
    orm: OrmSession,
    participant_id: int,
    reason: str,
    occurrence: str,
    now: datetime,
    actor: Actor,
    settings: Settings,
) -> Entry:
    """The person's entry for this reason as this actor's list has it now; refused when the
    person is not (or no longer) on it for that occurrence."""
    check_may_follow_up(actor)
    found = []
    if reason in FOLLOW_UP_REASONS:
        found = [
            row
            for row in _occurrences(orm, actor, now, reason, only=[participant_id])
            if row[1] == participant_id and row[2] == occurrence
        ]
    participant = orm.get(Participant, participant_id) if found else None
    if participant is None:
        raise HavehusError(_("This person is not on the follow-up list any more."), "not_found")
    mark = _marks(orm, [participant_id]).get((participant_id, reason, occurrence))
    problem = _text_problems(orm, [participant], settings).get(participant_id)
    return Entry(participant, reason, occurrence, found[0][3], mark, problem)


# ---------------------------------------------------------------- texted, called, done


def set_state(
    orm: OrmSession,
    participant_id: int,
    reason: str,
    occurrence: str,
    state: str,
    now: datetime,
    actor: Actor,
    settings: Settings,
) -> None:
    """Mark what was done about one occurrence ("" clears it: back to the list as new)."""
    if state and state not in FOLLOW_UP_STATES:
        raise HavehusError(_("This choice could not be read. Reload the page."), "invalid")
    entry = entry_of(orm, participant_id, reason, occurrence, now, actor, settings)
    _mark(orm, entry, state, now, actor)


def _mark(orm: OrmSession, entry: Entry, state: str, now: datetime, actor: Actor) -> None:
    where = (
        FollowUp.participant_id == entry.participant.id,
        FollowUp.reason == entry.reason,
        FollowUp.occurrence == entry.occurrence,
    )
    if not state:
        orm.execute(delete(FollowUp).where(*where))
    else:
        row: dict[str, Any] = {
            "participant_id": entry.participant.id,
            "reason": entry.reason,
            "occurrence": entry.occurrence,
            "state": state,
            "set_by_id": actor.user_id,
            "set_at": now,
        }
        if not insert_ignoring_conflicts(orm, FollowUp, [row]):  # marked before: now this
            orm.execute(
                update(FollowUp)
                .where(*where)
                .values(state=state, set_by_id=actor.user_id, set_at=now)
                .execution_options(synchronize_session=False)
            )
    details = {"reason": entry.reason, "state": state or "open"}
    audit.record(orm, "follow_up.state", now, actor, target=entry.participant, details=details)


# ---------------------------------------------------------------- the one-tap text


def text_problem_message(problem: str) -> str:
    """Why no text can go to the person, in the page's words."""
    messages = {
        NO_PHONE: _("No mobile number."),
        UNREACHABLE: _("Texts do not reach this number."),
        OPTED_OUT: _("This number said STOP: no texts."),
        NO_CONSENT: _("No consent to texts."),
    }
    return messages.get(problem, "")


def send_text(
    orm: OrmSession,
    participant_id: int,
    reason: str,
    occurrence: str,
    now: datetime,
    actor: Actor,
    *,
    settings: Settings,
    quiet: QuietHours | None = None,
) -> bool:
    """Queue the kind text of the reason, in the person's language, once per occurrence, and
    mark the entry as texted. False when it was queued before (a second tap).

    The text says nothing of the session it is about. One asked for at night waits for the
    end of quiet hours.
    """
    entry = entry_of(orm, participant_id, reason, occurrence, now, actor, settings)
    if entry.text_problem is not None:
        raise HavehusError(text_problem_message(entry.text_problem), entry.text_problem)
    person = entry.participant
    assert person.phone is not None  # no NO_PHONE problem
    send_after = now
    if quiet is not None and in_quiet_hours(now, quiet.start, quiet.end, quiet.tz):
        send_after = quiet_period_end(now, quiet.end, quiet.tz)
    queued = outgoing.queue(
        orm,
        phone=person.phone,
        language=person.language,
        body=texts.follow_up_text(
            reason,
            person.display_name,
            person.language,
            settings.site_name,
            texts.program_link(settings, person.language),
        ),
        kind=MessageKind.FOLLOW_UP,
        now=now,
        participant=person,
        dedupe_key=f"follow-up:{person.id}:{occurrence}",
        send_after=send_after,
        expires_at=send_after + TEXT_EXPIRES_AFTER,
        created_by_id=actor.user_id,
        settings=settings,
    )
    if entry.state != "done":
        _mark(orm, entry, "texted", now, actor)
    return queued
