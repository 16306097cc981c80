"""The texts havehus sends, in the person's language, and putting them in the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from havehus.dbutil import insert_ignoring_conflicts
from havehus.i18n import KNOWN_LANGUAGES, pick
from havehus.models import Activity, Consent, OptOut, OutboundMessage, Participant, Session


def activity_name(activity: Activity, language: str) -> str:
    """What a text calls the activity: the neutral wording for a sensitive one."""
    if activity.sensitive and activity.neutral_title:
        return pick(activity.neutral_title, language)
    return pick(activity.title, language)


def when_text(session: Session, language: str) -> str:
    """E.g. "torsdag 3. december kl. 17:00" in the person's language and the house's zone."""
    with force_locale(language):
        return format_datetime(session.starts_at, _("EEEE d MMMM 'at' HH:mm"))


def has_sms_consent(orm: OrmSession, participant: Participant) -> bool:
    return bool(
        orm.scalar(
            select(Consent.id).where(
                Consent.participant_id == participant.id,
                Consent.kind == "sms",
                Consent.withdrawn_at.is_(None),
            )
        )
    )


def opted_out_among(orm: OrmSession, phones: Iterable[str | None]) -> set[str]:
    """Those of `phones` that said STOP (and not START since): nothing at all goes to them."""
    wanted = {phone for phone in phones if phone}
    if not wanted:
        return set()
    return set(orm.scalars(select(OptOut.phone).where(OptOut.phone.in_(wanted))))


def opted_out(orm: OrmSession, phone: str) -> bool:
    return bool(opted_out_among(orm, [phone]))


def queue(
    orm: OrmSession,
    *,
    phone: str,
    language: str,
    body: str,
    kind: str,
    now: datetime,
    participant: Participant | None = None,
    booking_id: int | None = None,
    session_id: int | None = None,
    dedupe_key: str | None = None,
    expires_at: datetime | None = None,
    needs_consent: bool = True,
    send_after: datetime | None = None,
    broadcast_id: int | None = None,
    created_by_id: int | None = None,
) -> bool:
    """Put a text in the outbox for the worker; False when it must not be sent at all.

    Texts about someone's own booking need their SMS consent; a code they just asked for does
    not. A number that said STOP gets nothing. The dedupe key makes queueing idempotent.
    """
    if opted_out(orm, phone):
        return False
    if needs_consent and (participant is None or not has_sms_consent(orm, participant)):
        return False
    added = insert_ignoring_conflicts(
        orm,
        OutboundMessage,
        [
            {
                "to_phone": phone,
                "participant_id": participant.id if participant else None,
                "language": language,
                "body": body,
                "kind": kind,
                "booking_id": booking_id,
                "session_id": session_id,
                "dedupe_key": dedupe_key,
                "send_after": send_after or now,
                "expires_at": expires_at,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "broadcast_id": broadcast_id,
                "created_by_id": created_by_id,
            }
        ],
    )
    return added == 1 or dedupe_key is None


def public_link(path: str) -> str:
    return current_app.config["HAVEHUS_PUBLIC_URL"].rstrip("/") + path


# ---------------------------------------------------------------- the wording of each kind
# Every text about a booking or a session is worded here, so the staff preview
# (/staff/messages/templates) shows exactly what is sent.

#: The one word that cancels a booking by reply, per language. Other languages get the Danish
#: word, which the reply handler understands from everyone.
CANCEL_WORDS = {"da": "NEJ", "en": "NO"}
YES_WORDS = {"da": "JA", "en": "YES"}

#: The kinds of text about changes to a session (the planner's cancel, move, room, reinstate).
CHANGES = ("cancelled", "moved", "room", "reinstated")

#: Weekday and date in a change text, where CLDR's skeleton would abbreviate the weekday.
_NOTICE_DAY_PATTERNS = {"da": "EEEE 'den' d. MMMM", "en": "EEEE d MMMM"}


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
        number = "\u2066" + sender + "\u2069"
        return _(
            "This number said STOP, so we send it no texts. Send START to %(number)s "
            "to get texts again, then try once more.",
            number=number,
        )
    return _(
        "This number said STOP, so we send it no texts. Ask the host in the house to sign you up."
    )


def replies_possible() -> bool:
    """False when texts come from an alphanumeric sender ("Havehuset"): it cannot get replies."""
    sender = str(current_app.config.get("HAVEHUS_TWILIO_FROM") or "")
    return not sender or sender.startswith("+")


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
            "You have a seat: %(name)s, %(when)s. Cannot come? Cancel here, so your seat "
            "can go to someone on the waiting list: %(link)s",
            **values,
        )


def promotion_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A seat freed up and is now the person's, off the waiting list."""
    values = _about(session, language, link)
    with force_locale(language):
        if can_reply:
            return _(
                "A seat is free for you: %(name)s, %(when)s. You have it now. Cannot come? "
                "Reply %(word)s. Your booking: %(link)s",
                **values,
                word=cancel_word(language),
            )
        return _(
            "A seat is free for you: %(name)s, %(when)s. You have it now. Cannot come? "
            "Cancel here: %(link)s",
            **values,
        )


def offer_text(session: Session, language: str, link: str, *, can_reply: bool) -> str:
    """A freed seat is held for the person for a while: they take it by reply or link."""
    values = _about(session, language, link)
    with force_locale(language):
        if can_reply:
            return _(
                "A seat is free for you: %(name)s, %(when)s. Reply %(word)s to take it, or "
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
                "Reminder: %(name)s, %(when)s. Cannot come? Reply %(word)s, so your seat can go "
                "to someone on the waiting list. Your booking: %(link)s",
                **values,
                word=cancel_word(language),
            )
        return _(
            "Reminder: %(name)s, %(when)s. Cannot come? Cancel here, so your seat can go to "
            "someone on the waiting list: %(link)s",
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


def notice_title(activity: Activity, language: str) -> str:
    """The activity's name in a change text: the neutral wording for a sensitive one."""
    names = activity.neutral_title if activity.sensitive else activity.title
    return pick(names, language) or pick(activity.title, language)


def notice_when(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """E.g. "tirsdag den 10. marts 10:00" / "Tuesday 10 March 10:00", in local time."""
    local = moment.astimezone(tz)
    locale = language if language in KNOWN_LANGUAGES else "da"
    pattern = _NOTICE_DAY_PATTERNS.get(locale)
    if pattern:
        day = format_date(local.date(), pattern, locale=locale)
    else:
        day = format_skeleton("MMMMEEEEd", local, locale=locale)
    return f"{day} {local:%H:%M}"


def change_text(
    change: str,
    session: Session,
    language: str,
    tz: ZoneInfo,
    old_start: datetime | None = None,
) -> str:
    """A session was cancelled, moved, given a new room, or takes place after all."""
    title = notice_title(session.activity, language)
    when = notice_when(session.starts_at, language, tz)
    with force_locale(language if language in KNOWN_LANGUAGES else "da"):
        if change == "cancelled":
            return _(
                "Cancelled: %(title)s, %(when)s. %(reason)s",
                title=title,
                when=when,
                reason=session.cancel_reason or "",
            ).strip()
        if change == "reinstated":
            return _("It takes place after all: %(title)s, %(when)s.", title=title, when=when)
        if change == "room":
            room = session.effective_room
            return _(
                "New room for %(title)s, %(when)s: %(room)s.",
                title=title,
                when=when,
                room=room.name if room else "",
            )
        return _(
            "New time: %(title)s is now %(when)s (was %(old)s).",
            title=title,
            when=when,
            old=notice_when(old_start or session.starts_at, language, tz),
        )


def code_text(site: str, code: str, minutes: int, language: str) -> str:
    """The code that proves a phone number when signing up in a browser."""
    with force_locale(language):
        return _(
            "%(site)s: your code is %(code)s. It works for %(minutes)d minutes.",
            site=site,
            code=code,
            minutes=minutes,
        )
