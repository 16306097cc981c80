"""The wording of a follow-up text: short, kind, in the person's language.

It greets the person by first name and invites them back, and never says which session (or
appointment) it is about. `register` tells messaging about the kind: its samples for the staff
preview, and what is checked again when the text is sent.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from havehus.config import Settings
from havehus.messaging import kinds
from havehus.messaging.kinds import Unwanted
from havehus.models import MessageKind, OutboundMessage, Participant, Session
from havehus.orm import OrmSession

#: The page a follow-up text links to: the program, in the person's language.
PROGRAM_PATH = "/?lang={language}"


def program_link(settings: Settings, language: str) -> str:
    return settings.public_link(PROGRAM_PATH.format(language=language))


def first_name(display_name: str) -> str:
    return (display_name.split() or [""])[0]


def follow_up_text(reason: str, name: str, language: str, site: str, link: str) -> str:
    """The text for a reason: missed (once or twice), first visit, not seen for a while."""
    values = {"name": first_name(name), "site": site, "link": link}
    with force_locale(language):
        if reason in ("no_show", "missed_twice"):
            return _(
                "Hi %(name)s, we missed you at %(site)s. You are always welcome. "
                "See what is on: %(link)s",
                **values,
            )
        if reason == "first_visit":
            return _(
                "Hi %(name)s, thank you for coming to %(site)s! We hope to see you again. "
                "See what is on: %(link)s",
                **values,
            )
        return _(
            "Hi %(name)s, it has been a while. We would love to see you at %(site)s again. "
            "See what is on: %(link)s",
            **values,
        )


def still_wanted(orm: OrmSession, message: OutboundMessage, _now: datetime) -> Unwanted | None:
    """Not to someone whose data was deleted, or who asked for it, since the tap."""
    person = orm.get(Participant, message.participant_id) if message.participant_id else None
    if person is None or person.anonymised_at is not None:
        return Unwanted("the person's data was deleted")
    if person.erasure_requested_at is not None:
        return Unwanted("the person asked for their data to be deleted")
    return None


def register() -> None:
    """Tell messaging about follow-up texts: the send-time check and the preview's samples."""

    def sample(reason: str) -> kinds.SampleWording:
        def wording(_session: Session, language: str, settings: Settings) -> str:
            link = program_link(settings, language)
            return follow_up_text(reason, "Amina", language, settings.site_name, link)

        return wording

    kinds.register(
        MessageKind.FOLLOW_UP,
        check=still_wanted,
        samples={
            "missed": sample("no_show"),
            "first-visit": sample("first_visit"),
            "not-seen": sample("not_seen"),
        },
    )
