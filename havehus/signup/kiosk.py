"""The kiosk's rules: the coming days, "I am here", and the number pad's keys.

Any browser may open /kiosk: it shows only the public program. An *enrolled* tablet (its
device cookie, see people.access.current_kiosk) additionally books at once, without the
texted code, also for people without a phone, and counts anonymous "I am here" visits.

The pages are in kiosk_views.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from havehus.errors import HavehusError
from havehus.models import Mode, Session, SessionStatus, Tally
from havehus.orm import OrmSession
from havehus.program.services import ProgramEntry, group_entries, public_sessions_between
from havehus.signup.phones import normalise_phone

#: Days shown after today.
DAYS_AHEAD = 6
#: "I am here" is offered from this long before the start until the end.
CHECK_IN_EARLY = timedelta(minutes=30)
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
    """Whether people who just come may say "I am here" for this session now."""
    activity = target.activity
    welcomes = activity.mode == Mode.DROP_IN or (
        activity.mode == Mode.SIGNUP and activity.walk_ins_welcome
    )
    return (
        welcomes
        and target.status == SessionStatus.SCHEDULED
        and target.starts_at - CHECK_IN_EARLY <= now < target.ends_at
    )


def count_walk_in(orm: OrmSession, target: Session, now: datetime) -> None:
    """Add one anonymous adult to the session's tally, in one statement (no read-modify-write)."""
    module = postgresql if orm.get_bind().dialect.name == "postgresql" else sqlite
    table = Tally.__table__
    statement = module.insert(table).values(
        session_id=target.id, kind="adults", count=1, updated_at=now
    )
    orm.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.session_id, table.c.kind],
            set_={"count": table.c.count + 1, "updated_at": now},
        )
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
    """The sign-up in progress on one screen, kept in the Flask session from pad to pad."""

    #: The session being signed up for; a state of another session is started afresh.
    session_id: int
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
