"""The kiosk's rules: the coming days, when "I am here" is offered, the number pad's keys, and
what one screen keeps between its pages.

Any browser may open /kiosk: it shows only the public program. An *enrolled* tablet (its
device cookie, see people.access.current_kiosk) additionally books at once, without the
texted code, also for people without a phone, and lets people say "I am here".

The sign-up pages are in kiosk_views.py; "I am here" records a visit, so its pages belong to
attendance (above this package), which uses the public helpers below for its number pad.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from flask import abort, session
from flask_babel import gettext as _

from havehus.errors import HavehusError
from havehus.models import Session, SessionStatus
from havehus.orm import OrmSession
from havehus.program.services import ProgramEntry, group_entries, public_sessions_between
from havehus.signup.phones import normalise_phone
from havehus.webforms import Form

#: Days shown after today.
DAYS_AHEAD = 6
#: "I am here" is offered from this long before the start until the end.
CHECK_IN_EARLY = timedelta(minutes=30)
#: Every Flask-session key of a kiosk screen starts so; `forget_screen` drops them all.
SCREEN_PREFIX = "kiosk"
#: The Flask-session key of the steps in progress on this screen (a sign-up, a check-in).
STATE_KEY = "kiosk"
#: The Flask-session key of the outcome the done screen shows once.
DONE_KEY = "kiosk_done"
#: Longest number the pad accepts (E.164 has at most 15 digits).
MAX_DIGITS = 15
CODE_DIGITS = 6


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class KioskDay:
    day: date
    is_today: bool
    entries: list[ProgramEntry]


def kiosk_days(orm: OrmSession, now: datetime, tz: ZoneInfo) -> list[KioskDay]:
    """Today and the next six days, each with its public sessions that have not ended.

    A session that began yesterday and is still on (an evening running past midnight) is
    listed under today: it is what is on now.
    """
    today = now.astimezone(tz).date()
    by_day: dict[date, list[Session]] = {
        today + timedelta(days=offset): [] for offset in range(DAYS_AHEAD + 1)
    }
    yesterday = today - timedelta(days=1)
    for found in public_sessions_between(orm, yesterday, today + timedelta(days=DAYS_AHEAD), tz):
        if found.ends_at > now:
            by_day[max(found.starts_at.astimezone(tz).date(), today)].append(found)
    # An activity's sessions on one day (vaccination time slots) share one card.
    return [
        KioskDay(day=day, is_today=day == today, entries=group_entries(found))
        for day, found in by_day.items()
    ]


def accepts_check_in(target: Session, now: datetime) -> bool:
    """Whether people in the house may say "I am here" for this session now: anyone who just
    came, and anyone booked (their number marks the booking)."""
    return (
        target.status == SessionStatus.SCHEDULED
        and target.starts_at - CHECK_IN_EARLY <= now < target.ends_at
    )


def masked(digits: str) -> str:
    """The typed number with all but its last two digits hidden."""
    return "•" * max(len(digits) - 2, 0) + digits[-2:]


def apply_keys(digits: str, keys: str, limit: int) -> str:
    """Digits after a run of key presses: 0-9 and "+" type, "<" deletes the last one."""
    for key in keys:
        if key == "<":
            digits = digits[:-1]
        elif (key.isdigit() and key.isascii()) or (key == "+" and not digits):
            if len(digits) < limit:
                digits += key
    return digits


class KioskState(TypedDict, total=False):
    """The steps in progress on one screen, kept in the Flask session from pad to pad."""

    #: The session being signed up for (or checked in to); another session starts afresh.
    session_id: int
    #: What the steps are for: "signup" (the default) or "here" (a check-in).
    purpose: str
    #: A check-in's idempotency key: the same however often its last button is sent.
    key: str
    #: What the phone pad shows so far.
    digits: str
    #: An enrolled tablet signs up someone without a phone.
    no_phone: bool
    #: The typed number, normalised, once "next" was pressed.
    phone: str
    #: The texted code's challenge, once the name was given on a tablet that is not enrolled.
    challenge_id: int
    #: What the code pad shows so far.
    code: str
    #: The code itself, shown on screen in the demo (no real texts are sent).
    demo_code: str


@dataclass(frozen=True)
class Pressed:
    """The digits after a press of the pad, and the step button pressed (if any)."""

    digits: str
    step: str


def press_pad(digits: str, form: Mapping[str, str], limit: int) -> Pressed:
    """Apply one submitted press: keys collected by JavaScript, one digit, delete or clear."""
    digits = apply_keys(digits, form.get("keys", ""), limit)
    digits = apply_keys(digits, form.get("digit", ""), limit)
    step = form.get("step", "")
    if step == "delete":
        digits = digits[:-1]
    elif step == "clear":
        digits = ""
    return Pressed(digits, step)


def phone_step(state: KioskState, pressed: Pressed, *, enrolled: bool, regions: list[str]) -> bool:
    """Take a press of the phone pad into the sign-up state; True when the number is done.

    "No phone" is only for an enrolled tablet (the host is near); "next" needs a number
    that normalises. HavehusError says why a step cannot be taken.
    """
    state.update({"digits": pressed.digits, "no_phone": False})
    if pressed.step == "no_phone":
        if not enrolled:
            raise HavehusError(
                _("Without a mobile phone, please ask the host in the house to sign you up."),
                "no_phone",
            )
        state.update({"digits": "", "no_phone": True})
        return True
    if pressed.step == "next":
        state["phone"] = normalise_phone(pressed.digits, regions)
        return True
    return False


# ---------------------------------------------------------------- one screen's state


class KioskForm(Form):
    """Only the CSRF token: the pads' buttons carry their own name and value."""


def load_state() -> KioskState:
    """The steps in progress on this screen (empty when none)."""
    return KioskState(**(session.get(STATE_KEY) or {}))


def save_state(state: KioskState) -> None:
    session[STATE_KEY] = state


def forget_screen() -> None:
    """Drop everything this screen keeps (the idle reset): steps, outcomes, open questions."""
    for key in [key for key in session if key.startswith(SCREEN_PREFIX)]:
        session.pop(key, None)


def state_for(target: Session, purpose: str = "signup") -> KioskState:
    """The state if it belongs to this session and purpose; a fresh one otherwise."""
    state = load_state()
    if state.get("session_id") != target.id or state.get("purpose", "signup") != purpose:
        state = {"session_id": target.id, "purpose": purpose, "digits": "", "no_phone": False}
    return state


def posted_form() -> KioskForm:
    """The form of a POST, its CSRF token checked (the pads carry nothing else to check)."""
    form = KioskForm()
    if not form.validate_on_submit():
        abort(400)
    return form
