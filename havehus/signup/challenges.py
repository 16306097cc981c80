"""Sign-up from an ordinary browser: we text a code; the booking is made when it comes back."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from havehus.config import Settings
from havehus.dbutil import execute_rowcount, hold_keys
from havehus.errors import HavehusError
from havehus.messaging import outgoing
from havehus.models import Session, SignupChallenge
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.security import hash_token, same
from havehus.signup import services, texts
from havehus.signup.services import BookingResult
from havehus.signup.sign_up import Person, SignUp, sign_up

MAX_CODE_ATTEMPTS = 5


def code_shown_on_screen(settings: Settings) -> bool:
    """Without a real SMS gateway (the demo), the code is shown so the flow can be tried."""
    return settings.sms_backend == "console" and settings.env == "development"


def _recent(
    orm: OrmSession, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return (
        orm.scalar(select(func.count()).where(column == value, SignupChallenge.created_at >= since))
        or 0
    )


def start(
    orm: OrmSession, session: Session, request: SignUp, ip: str, now: datetime, settings: Settings
) -> tuple[SignupChallenge, str]:
    """Check the request, text a 6-digit code to the phone; returns the challenge and code.

    The answer is the same whether or not the number is known or booked already, so the
    form reveals nothing about anyone.
    """
    services.check_bookable(session, now, staff=False, settings=settings)
    # Asked before the code is texted, so nobody types a code only to be refused after.
    services.check_health_consent(session, request.health_consent)
    return issue_code(orm, session, request, ip, now, settings)


def issue_code(
    orm: OrmSession, session: Session, request: SignUp, ip: str, now: datetime, settings: Settings
) -> tuple[SignupChallenge, str]:
    """Text a 6-digit code to the request's phone, within the limits per number and client.

    The challenge keeps what the person filled in until the code comes back.
    """
    phone, person = request.person.phone, request.person
    services.check_guests(request.guests)
    if phone is None:
        raise HavehusError(_("Write your mobile number."), "invalid_phone")
    if outgoing.opted_out(orm, phone, settings):
        # No text reaches a number that said STOP (Twilio refuses it too): say so now,
        # instead of leaving the person waiting for a code that never comes.
        raise HavehusError(texts.opted_out_advice(settings), "opted_out")
    # Parallel requests for one number or from one client count one after another.
    hold_keys(orm, f"signup-code:phone:{phone}", f"signup-code:client:{ip}")
    hour_ago = now - timedelta(hours=1)
    if _recent(orm, SignupChallenge.phone, phone, hour_ago) >= int(
        settings.signup_codes_per_phone_hour
    ) or _recent(orm, SignupChallenge.ip, ip, hour_ago) >= int(
        settings.signup_codes_per_client_hour
    ):
        raise HavehusError(
            _("Too many codes were asked for. Wait an hour, or ask the host in the house."),
            "throttled",
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = SignupChallenge(
        session_id=session.id,
        display_name=services.clean_name(person.name),
        phone=phone,
        language=person.language,
        wants_company=request.wants_company,
        guests=request.guests,
        sms_consent=request.sms_consent,
        health_consent=request.health_consent,
        code_hash=hash_token(f"{code}:{session.id}:{phone}"),
        ip=ip,
        created_at=now,
        expires_at=now + timedelta(minutes=int(settings.signup_code_minutes)),
    )
    orm.add(challenge)
    orm.flush()
    body = texts.code_text(
        settings.site_name,
        code,
        int(settings.signup_code_minutes),
        person.language,
    )
    outgoing.queue(
        orm,
        phone=phone,
        language=person.language,
        body=body,
        kind="code",
        now=now,
        expires_at=challenge.expires_at,
        needs_consent=False,  # the person asked for this very text,
        settings=settings,
    )
    return challenge, code


def confirm(
    orm: OrmSession, challenge_id: int, code: str, now: datetime, actor: Actor, settings: Settings
) -> BookingResult:
    """Check the code and make the booking (or return the one the person has already)."""
    challenge = check_code(orm, challenge_id, code, now)
    return sign_up(
        orm,
        challenge.session,
        SignUp(
            person=Person(
                name=challenge.display_name,
                phone=challenge.phone,
                language=challenge.language,
                phone_proved=True,
            ),
            source="web",
            sms_consent=challenge.sms_consent,
            health_consent=challenge.health_consent,
            wants_company=challenge.wants_company,
            guests=challenge.guests,
        ),
        now,
        actor,
        settings,
    )


def check_code(orm: OrmSession, challenge_id: int, code: str, now: datetime) -> SignupChallenge:
    """The challenge when `code` is right; each challenge is used once and guessed rarely."""
    # The try is counted before the code is looked at, by one conditional UPDATE: parallel
    # tries queue on the row, and once five are counted the rest are refused unread.
    counted = execute_rowcount(
        orm,
        update(SignupChallenge)
        .where(
            SignupChallenge.id == challenge_id,
            SignupChallenge.used_at.is_(None),
            SignupChallenge.expires_at > now,
            SignupChallenge.attempts < MAX_CODE_ATTEMPTS,
        )
        .values(attempts=SignupChallenge.attempts + 1),
    )
    challenge = orm.get(SignupChallenge, challenge_id, populate_existing=True)
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        raise HavehusError(_("The code has run out. Please start again."), "expired")
    if counted != 1:
        raise HavehusError(_("Too many wrong codes. Please start again."), "expired")
    digits = "".join(ch for ch in code if ch.isdigit())
    expected = hash_token(f"{digits}:{challenge.session_id}:{challenge.phone}")
    if not same(expected, challenge.code_hash):
        raise HavehusError(
            _("The code is not right. Look at the text message and try again."), "wrong_code"
        )
    used = execute_rowcount(
        orm,
        update(SignupChallenge)
        .where(SignupChallenge.id == challenge.id, SignupChallenge.used_at.is_(None))
        .values(used_at=now),
    )
    if used != 1:
        raise HavehusError(_("The code has run out. Please start again."), "expired")
    return challenge
