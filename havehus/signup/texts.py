"""The wording of every text about a booking: confirmation, reminders, a free seat, the code.

Each is worded here once, in the person's language, so the staff preview
(/staff/messages/templates) shows exactly what is sent; `register_samples` hands messaging
the preview's samples.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from havehus.i18n import LRI, PDI, left_to_right, pick
from havehus.messaging import kinds
from havehus.messaging.outgoing import public_link, replies_possible
from havehus.models import Session
from havehus.program.wording import activity_name, when_text
from havehus.security import derived_token

#: The one word that cancels a booking by reply, per language. Other languages get the Danish
#: word, which the reply handler understands from everyone.
CANCEL_WORDS = {"da": "NEJ", "en": "NO"}
YES_WORDS = {"da": "JA", "en": "YES"}
#: The booking's own page (the route signup.booking), for links in texts.
BOOKING_PATH = "/bookings/{token}"
#: The sample code in the preview's code text (six digits, as real codes).
SAMPLE_CODE = "482913"


def cancel_word(language: str) -> str:
    return CANCEL_WORDS.get(language, CANCEL_WORDS["da"])


def yes_word(language: str) -> str:
    """The word that says yes by reply (takes an offered seat); the reply handler knows JA."""
    return YES_WORDS.get(language, YES_WORDS["da"])


def opted_out_advice() -> str:
    """What to tell someone whose number said STOP and who now wants a text from us."""
    sender = str(current_app.config.get("HAVEHUS_TWILIO_FROM") or "")
    if sender.startswith("+"):
        # Isolated left-to-right (LRI … PDI): a phone number inside Arabic or Urdu text.
        number = LRI + sender + PDI
        return _(
            "This number said STOP, so we send it no texts. Send START to %(number)s "
            "to get texts again, then try once more.",
            number=number,
        )
    return _(
        "This number said STOP, so we send it no texts. Ask the host in the house to sign you up."
    )


def _about(session: Session, language: str, link: str) -> dict[str, str]:
    return {
        "name": activity_name(session.activity, language),
        "when": when_text(session, language),
        "link": link,
    }


def confirmation_text(session: Session, language: str, link: str, *, waitlisted: bool) -> str:
    """The text right after signing up: a seat, or a place on the waiting list."""
    values = _about(session, language, link)
    with force_locale(language):
        if waitlisted:
            return _(
                "You are on the waiting list for %(name)s, %(when)s. We text you if a seat "
                "is free. See or cancel: %(link)s",
                **values,
            )
        return _(
            "You have a seat: %(name)s, %(when)s. If you cannot come, cancel here, so your "
            "seat can go to someone on the waiting list: %(link)s",
            **values,
        )


def promotion_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A seat freed up and is now the person's, off the waiting list."""
    values = _about(session, language, link)
    with force_locale(language):
        if can_reply:
            return _(
                "A seat is free for you: %(name)s, %(when)s. You have it now. If you cannot "
                'come, reply "%(word)s". Your booking: %(link)s',
                **values,
                word=cancel_word(language),
            )
        return _(
            "A seat is free for you: %(name)s, %(when)s. You have it now. If you cannot "
            "come, cancel here: %(link)s",
            **values,
        )


def offer_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A freed seat is held for the person for a while: they take it by reply or link."""
    values = _about(session, language, link)
    with force_locale(language):
        if can_reply:
            return _(
                'A seat is free for you: %(name)s, %(when)s. To take it, reply "%(word)s" or '
                "take it here, before it goes to the next person: %(link)s",
                **values,
                word=yes_word(language),
            )
        return _(
            "A seat is free for you: %(name)s, %(when)s. Take it here before it goes to "
            "the next person: %(link)s",
            **values,
        )


def reminder_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """The reminder: what a no-show costs others, and how to cancel in one word.

    From an alphanumeric sender nobody can reply, so the link cancels instead.
    """
    values = _about(session, language, link)
    with force_locale(language):
        if can_reply:
            return _(
                'Reminder: %(name)s, %(when)s. If you cannot come, reply "%(word)s", so your '
                "seat can go to someone on the waiting list. Your booking: %(link)s",
                **values,
                word=cancel_word(language),
            )
        return _(
            "Reminder: %(name)s, %(when)s. If you cannot come, cancel here, so your seat can "
            "go to someone on the waiting list: %(link)s",
            **values,
        )


def drop_in_reminder_text(session: Session, language: str, link: str) -> str:
    """A reminder of a drop-in session the person asked for; the link stops reminders."""
    values = _about(session, language, link)
    with force_locale(language):
        return _(
            "Reminder: %(name)s, %(when)s. Just come, no sign-up needed. "
            "No more reminders: %(link)s",
            **values,
        )


def companion_text(session: Session, language: str, person: str) -> str:
    """The volunteer who goes along (følgeskab) is reminded too: with whom, what, when."""
    with force_locale(language):
        return _(
            "Reminder: you are going with %(person)s to %(name)s, %(when)s. Thank you!",
            person=person,
            name=activity_name(session.activity, language),
            when=when_text(session, language),
        )


def shift_text(session: Session, language: str) -> str:
    """A volunteer host's shift; hosts work there, so the activity's own title is used."""
    with force_locale(language):
        return _(
            "Your shift as host: %(name)s, %(when)s. Thank you for coming!",
            name=pick(session.activity.title, language),
            when=when_text(session, language),
        )


def code_text(site: str, code: str, minutes: int, language: str) -> str:
    """The code that proves a phone number when signing up in a browser."""
    with force_locale(language):
        return _(
            "Your code for %(site)s is %(code)s. It works for %(minutes)d minutes.",
            site=site,
            code=left_to_right(code, language),
            minutes=minutes,
        )


def register_samples() -> None:
    """Hand messaging a sample of every kind worded here, for the staff preview."""

    def link() -> str:
        # As long as a real booking link; derived from a fixed key, so it opens nothing.
        return public_link(BOOKING_PATH.format(token=derived_token("preview", "booking", 0)))

    def code(_session: Session, language: str, _tz: ZoneInfo) -> str:
        site = current_app.config["HAVEHUS_SITE_NAME"]
        minutes = int(current_app.config["HAVEHUS_SIGNUP_CODE_MINUTES"])
        return code_text(site, SAMPLE_CODE, minutes, language)

    kinds.register("confirmation", samples={
        "seat": lambda s, lang, _tz: confirmation_text(s, lang, link(), waitlisted=False),
        "waitlist": lambda s, lang, _tz: confirmation_text(s, lang, link(), waitlisted=True),
    })  # fmt: skip
    kinds.register("reminder", samples={
        "": lambda s, lang, _tz: reminder_text(s, lang, link(), can_reply=replies_possible()),
        "drop-in": lambda s, lang, _tz: drop_in_reminder_text(s, lang, link()),
        "companion": lambda s, lang, _tz: companion_text(s, lang, "Amina"),
    })  # fmt: skip
    kinds.register("waitlist-promotion", samples={
        "": lambda s, lang, _tz: promotion_text(s, lang, link(), can_reply=replies_possible()),
        "offer": lambda s, lang, _tz: offer_text(s, lang, link(), can_reply=replies_possible()),
    })  # fmt: skip
    kinds.register("code", samples={"": code})
    kinds.register("shift", samples={"": lambda s, lang, _tz: shift_text(s, lang)})
