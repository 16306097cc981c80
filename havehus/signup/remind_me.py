""" "Remind me" for drop-in sessions: a text before the session, without taking a seat.

Anyone may just come to a drop-in session; some people still want a text beforehand. From an
ordinary browser the number is proved with a texted code first (the same challenge as a
sign-up), so nobody can have texts sent to someone else's phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.models import (
    Mode,
    Participant,
    ReminderRequest,
    Session,
    SessionStatus,
    SignupChallenge,
)
from havehus.orm import OrmSession
from havehus.people.audit import PUBLIC
from havehus.signup import challenges
from havehus.signup.sign_up import Person, SignUp, identify, record_consents


def check_remindable(session: Session, now: datetime) -> None:
    """Raise a HavehusError saying why no reminder can be asked for, if none can."""
    if session.activity.mode != Mode.DROP_IN:
        raise HavehusError(_("Sign up for this one, and we text you a reminder."), "not_drop_in")
    if session.status != SessionStatus.SCHEDULED:
        raise HavehusError(_("This time is cancelled."), "cancelled")
    if session.starts_at <= now:
        raise HavehusError(_("This has started already. Just come!"), "started")
    if not session.activity.reminder_offsets:
        raise HavehusError(_("We do not send reminders for this activity."), "no_reminders")


def start(
    orm: OrmSession, session: Session, request: SignUp, ip: str, now: datetime, settings: Settings
) -> tuple[SignupChallenge, str]:
    """Text a code to the phone; the reminder is set when the code comes back."""
    check_remindable(session, now)
    if not request.sms_consent:
        raise HavehusError(
            _("Tick that we may text you, or we cannot remind you."),
            "consent_required",
            fields={"sms_consent": _("Tick to agree.")},
        )
    return challenges.issue_code(orm, session, request, ip, now, settings)


def is_reminder_challenge(challenge: SignupChallenge) -> bool:
    return challenge.session.activity.mode == Mode.DROP_IN


def confirm(
    orm: OrmSession, challenge_id: int, code: str, now: datetime
) -> tuple[Participant, ReminderRequest]:
    """Check the code and set the reminder (or return the one the person has already)."""
    challenge = challenges.check_code(orm, challenge_id, code, now)
    check_remindable(challenge.session, now)
    who = Person(
        name=challenge.display_name,
        phone=challenge.phone,
        language=challenge.language,
        phone_proved=True,
    )
    person = identify(orm, who, now, PUBLIC)
    record_consents(orm, person, now, PUBLIC, sms=challenge.sms_consent, health=False)
    person.last_seen_at = now
    return person, ask(orm, person, challenge.session, now)


def ask(orm: OrmSession, person: Participant, session: Session, now: datetime) -> ReminderRequest:
    """Remember that `person` wants a text before `session`; asking twice changes nothing."""
    orm.flush()
    insert_ignoring_conflicts(
        orm,
        ReminderRequest,
        [{"participant_id": person.id, "session_id": session.id, "created_at": now}],
    )
    # Asking again after "don't remind me" turns the reminder back on.
    orm.execute(
        update(ReminderRequest)
        .where(
            ReminderRequest.participant_id == person.id,
            ReminderRequest.session_id == session.id,
        )
        .values(cancelled_at=None)
    )
    return orm.scalars(
        select(ReminderRequest).where(
            ReminderRequest.participant_id == person.id,
            ReminderRequest.session_id == session.id,
        )
    ).one()


def upcoming(orm: OrmSession, person: Participant, now: datetime) -> Sequence[ReminderRequest]:
    """The person's live reminders for sessions ahead, soonest first."""
    return orm.scalars(
        select(ReminderRequest)
        .join(Session, Session.id == ReminderRequest.session_id)
        .where(
            ReminderRequest.participant_id == person.id,
            ReminderRequest.cancelled_at.is_(None),
            Session.starts_at > now,
            Session.status == SessionStatus.SCHEDULED,
        )
        .order_by(Session.starts_at)
    ).all()


def withdraw(orm: OrmSession, person: Participant, request_id: int, now: datetime) -> bool:
    """ "Don't remind me": False when there is no such live reminder of this person."""
    done = execute_rowcount(
        orm,
        update(ReminderRequest)
        .where(
            ReminderRequest.id == request_id,
            ReminderRequest.participant_id == person.id,
            ReminderRequest.cancelled_at.is_(None),
        )
        .values(cancelled_at=now),
    )
    return done == 1


def session_of(orm: OrmSession, request: ReminderRequest) -> Session:
    return orm.get_one(Session, request.session_id)
