"""The wording of every text about a booking: confirmation, reminders, a free seat, the code.

Each is worded here once, in the person's language, so the staff preview
(/staff/messages/templates) shows exactly what is sent; `register_samples` hands messaging
the preview's samples.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from havehus.config import Settings
from havehus.i18n import LRI, PDI, left_to_right, pick
from havehus.messaging import kinds
from havehus.messaging.outgoing import replies_possible
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


def opted_out_advice(settings: Settings) -> str:
    """What to tell someone whose number said STOP and who now wants a text from us."""
    sender = settings.twilio_from
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


def _worded(session: Session, language: str, link: str, message: LazyString, **more: str) -> str:
    """A text about the person's booking of `session`, in their language: `message` with the
    activity's name (neutral where needed), the time, the link and any `more` values."""
    values = {
        "name": activity_name(session.activity, language),
        "when": when_text(session, language),
        "link": link,
        **more,
    }
    with force_locale(language):
        return str(message) % values


def confirmation_text(session: Session, language: str, link: str, *, waitlisted: bool) -> str:
    """The text right after signing up: a seat, or a place on the waiting list."""
    if waitlisted:
        message = _l(
            "You are on the waiting list for %(name)s, %(when)s. We text you if a seat "
            "is free. See or cancel: %(link)s"
        )
    else:
        message = _l(
            "You have a seat: %(name)s, %(when)s. If you cannot come, cancel here, so your "
            "seat can go to someone on the waiting list: %(link)s"
        )
    return _worded(session, language, link, message)


def _by_reply_or_link(
    session: Session,
    language: str,
    link: str,
    *,
    can_reply: bool,
    word: str,
    by_reply: LazyString,
    by_link: LazyString,
) -> str:
    """A text the person answers by replying `word`, or, from a sender nobody can reply to
    (an alphanumeric one), by the link."""
    if can_reply:
        return _worded(session, language, link, by_reply, word=word)
    return _worded(session, language, link, by_link)


def promotion_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A seat freed up and is now the person's, off the waiting list."""
    return _by_reply_or_link(
        session,
        language,
        link,
        can_reply=can_reply,
        word=cancel_word(language),
        by_reply=_l(
            "A seat is free for you: %(name)s, %(when)s. You have it now. If you cannot "
            'come, reply "%(word)s". Your booking: %(link)s'
        ),
        by_link=_l(
            "A seat is free for you: %(name)s, %(when)s. You have it now. If you cannot "
            "come, cancel here: %(link)s"
        ),
    )


def offer_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A freed seat is held for the person for a while: they take it by reply or link."""
    return _by_reply_or_link(
        session,
        language,
        link,
        can_reply=can_reply,
        word=yes_word(language),
        by_reply=_l(
            'A seat is free for you: %(name)s, %(when)s. To take it, reply "%(word)s" or '
            "take it here, before it goes to the next person: %(link)s"
        ),
        by_link=_l(
            "A seat is free for you: %(name)s, %(when)s. Take it here before it goes to "
            "the next person: %(link)s"
        ),
    )


def reminder_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """The reminder: what a no-show costs others, and how to cancel in one word.

    From an alphanumeric sender nobody can reply, so the link cancels instead.
    """
    return _by_reply_or_link(
        session,
        language,
        link,
        can_reply=can_reply,
        word=cancel_word(language),
        by_reply=_l(
            'Reminder: %(name)s, %(when)s. If you cannot come, reply "%(word)s", so your '
            "seat can go to someone on the waiting list. Your booking: %(link)s"
        ),
        by_link=_l(
            "Reminder: %(name)s, %(when)s. If you cannot come, cancel here, so your seat can "
            "go to someone on the waiting list: %(link)s"
        ),
    )


def drop_in_reminder_text(session: Session, language: str, link: str) -> str:
    """A reminder of a drop-in session the person asked for; the link stops reminders."""
    message = _l(
        "Reminder: %(name)s, %(when)s. Just come, no sign-up needed. No more reminders: %(link)s"
    )
    return _worded(session, language, link, message)


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

    def link(settings: Settings) -> str:
        # As long as a real booking link; derived from a fixed key, so it opens nothing.
        token = derived_token("preview", "booking", 0)
        return settings.public_link(BOOKING_PATH.format(token=token))

    def code(_session: Session, language: str, settings: Settings) -> str:
        site, minutes = settings.site_name, settings.signup_code_minutes
        return code_text(site, SAMPLE_CODE, minutes, language)

    kinds.register("confirmation", samples={
        "seat": lambda s, lang, st: confirmation_text(s, lang, link(st), waitlisted=False),
        "waitlist": lambda s, lang, st: confirmation_text(s, lang, link(st), waitlisted=True),
    })  # fmt: skip
    kinds.register("reminder", samples={
        "": lambda s, lang, st: reminder_text(s, lang, link(st), can_reply=replies_possible(st)),
        "drop-in": lambda s, lang, st: drop_in_reminder_text(s, lang, link(st)),
        "companion": lambda s, lang, _st: companion_text(s, lang, "Amina"),
    })  # fmt: skip
    kinds.register("waitlist-promotion", samples={
        "": lambda s, lang, st: promotion_text(s, lang, link(st), can_reply=replies_possible(st)),
        "offer": lambda s, lang, st: offer_text(s, lang, link(st), can_reply=replies_possible(st)),
    })  # fmt: skip
    kinds.register("code", samples={"": code})
    kinds.register("shift", samples={"": lambda s, lang, _st: shift_text(s, lang)})
