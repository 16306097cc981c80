"""Replies to our texts: what a reply means, what it does, and what we answer.

The first word decides (or a known two-word phrase such as "kan ikke"), whatever follows:
"Nej tak!", "ja jeg kommer" and "No thanks" are understood. Words are compared without case,
accents or Arabic vowel marks, so "HJAELP", "hjælp" and "Hjælp!" are the same word.

Twilio's own keywords are respected: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE and
OPTOUT block the number on Twilio's side, so they are opt-outs here too (never "cancel my
booking"); START and UNSTOP unblock it. Twilio also counts YES as an opt-in, but here JA/YES
answers a reminder or takes an offered seat; it never lifts an opt-out on our side — only START
or UNSTOP do.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from havehus.dbutil import insert_ignoring_conflicts
from havehus.messaging import outgoing
from havehus.messaging.segments import count_segments
from havehus.models import (
    Booking,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    Participant,
    Session,
)
from havehus.orm import OrmSession

log = logging.getLogger("havehus.messaging")

#: What a reply can be understood as (InboundMessage.interpreted_as); staff read the "other"s.
MEANINGS = ("yes", "no", "stop", "start", "help", "link", "other")
#: Longest text kept of a reply (Twilio joins at most 10 segments, 1,600 characters).
MAX_BODY = 1600

#: Keywords per meaning and language. Matching ignores case and accents (see `normalise`).
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {
        # Twilio's opt-out words: Twilio blocks the number whatever we answer.
        "twilio": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        "da": ("STOP", "STOPP"),
        "ar": ("توقف", "ايقاف", "قف"),
        "tr": ("DUR", "DURDUR"),
        "so": ("JOOJI", "JOOGSO"),
        "ur": ("بند", "روکیں", "روکو"),
        "uk": ("СТОП", "ЗУПИНИТИ"),
    },
    "start": {
        "twilio": ("START", "UNSTOP"),
        "ar": ("ابدأ", "ابدا"),
        "tr": ("BAŞLA", "BASLAT"),
        "so": ("BILOW",),
        "ur": ("شروع",),
        "uk": ("СТАРТ", "ПОЧАТИ"),
    },
    "yes": {
        "da": ("JA", "JAH", "JEP"),
        "en": ("YES", "Y", "YEP", "YEAH"),
        "ar": ("نعم", "ايوه", "ايوا", "اجل"),
        "tr": ("EVET",),
        "so": ("HAA", "HAAH"),
        "ur": ("ہاں", "جی", "HAAN"),
        "uk": ("ТАК",),
    },
    "no": {
        # Never CANCEL: that is Twilio's opt-out word.
        "da": ("NEJ", "AFMELD", "AFBUD", "FRAMELD"),
        "en": ("NO", "N", "NOPE", "CANT", "CANNOT"),
        "ar": ("لا", "كلا", "إلغاء"),
        "tr": ("HAYIR", "İPTAL", "GELEMEM"),
        "so": ("MAYA", "BAAJI"),
        "ur": ("نہیں", "نہ", "منسوخ", "NAHI", "NAHIN"),
        "uk": ("НІ", "СКАСУВАТИ", "ВІДМОВА"),
    },
    "help": {
        "twilio": ("HELP", "INFO"),
        "da": ("HJÆLP", "HJELP"),
        "ar": ("مساعدة",),
        "tr": ("YARDIM",),
        "so": ("CAAWIMAAD", "CAAWI"),
        "ur": ("مدد",),
        "uk": ("ДОПОМОГА", "ДОВІДКА"),
    },
    "link": {
        "en": ("LINK", "BOOKINGS", "MY"),
        "da": ("MINE", "BOOKINGER"),
        "ar": ("رابط", "حجوزاتي"),
        "tr": ("BAĞLANTI", "LINKIM", "REZERVASYONLARIM"),
        "so": ("LINKIGA", "BALLANSKAYGA"),
        "ur": ("لنک", "بکنگ"),
        "uk": ("ПОСИЛАННЯ", "МОЇ", "БРОНЮВАННЯ"),
    },
}
#: Two-word phrases whose first word alone means something else, or nothing.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {"en": ("STOP ALL", "OPT OUT"), "ar": ("الغاء الاشتراك",)},
    "no": {
        "da": ("KAN IKKE", "KOMMER IKKE"),
        "en": ("NOT COMING",),
        "so": ("KA NOQO",),
        "ur": ("جی نہیں",),
    },
    "link": {"da": ("MINE BOOKINGER",), "en": ("MY BOOKINGS",), "uk": ("МОЇ БРОНЮВАННЯ",)},
}
#: "My"/"mine" open many messages meant for staff ("Mine børn er syge"): they ask for the link
#: only on their own or in a phrase above.
ALONE_ONLY = ("MY", "MINE", "МОЇ")

# Arabic and Urdu letters typed in several forms: alef variants, taa marbuta, alef maqsura,
# the Persian/Urdu yeh, kaf and heh. Tatweel (a stretching stroke) is dropped.
_LETTER_FOLDS = str.maketrans(
    {
        "ٱ": "ا",
        "ة": "ه",
        "ۃ": "ه",
        "ى": "ي",
        "ی": "ي",
        "ے": "ي",
        "ک": "ك",
        "ہ": "ه",
        "ھ": "ه",
        "ں": "ن",
        "ـ": None,
        # Danish and Turkish letters that have no accent to strip.
        "æ": "ae",
        "ø": "o",
        "ı": "i",
        # Apostrophes join a word: "can't" → "cant".
        "'": None,
        "’": None,
        "ʼ": None,
    }
)
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lower case, no accents, no Arabic vowel marks, one space between words."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", bare.translate(_LETTER_FOLDS)).split())


def _index() -> tuple[dict[str, str], dict[str, str]]:
    """Normalised word → meaning, and phrase → meaning; a word with two meanings is a bug."""
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for table, target in ((KEYWORDS, words), (PHRASES, phrases)):
        for meaning, by_language in table.items():
            for keywords in by_language.values():
                for keyword in keywords:
                    key = normalise(keyword)
                    if target.get(key, meaning) != meaning:
                        raise ValueError(
                            f"keyword {keyword!r} means both {target[key]} and {meaning}"
                        )
                    target[key] = meaning
    return words, phrases


_WORDS, _PHRASES = _index()
_ALONE_ONLY = {normalise(word) for word in ALONE_ONLY}


def interpret(body: str) -> str:
    """What a reply means: one of MEANINGS, decided by its first word or two."""
    words = normalise(body).split()
    if not words:
        return "other"
    if len(words) > 1:
        phrase = _PHRASES.get(f"{words[0]} {words[1]}")
        if phrase is not None:
            return phrase
        if words[0] in _ALONE_ONLY:
            return "other"
    return _WORDS.get(words[0], "other")


# ---------------------------------------------------------------- acting on a reply


@dataclass
class Outcome:
    """What a reply did and what we answer (None: an empty answer)."""

    meaning: str
    reply: str | None = None
    booking: Booking | None = None
    session: Session | None = None
    participant: Participant | None = None
    kind: str = "confirmation"


#: What a reply does, for the meanings a domain owns (yes, no, link: the sign-ups).
ReplyHandler = Callable[[OrmSession, list[Participant], datetime], Outcome]
_HANDLERS: dict[str, ReplyHandler] = {}


def register_handler(meaning: str, handler: ReplyHandler) -> None:
    """Let a domain act on replies of one meaning; messaging itself knows no bookings.

    A meaning nobody handles is kept for staff, as "other" is.
    """
    if meaning not in MEANINGS or meaning in ("stop", "start", "help", "other"):
        raise ValueError(f"{meaning!r} is not a meaning a domain can handle")
    _HANDLERS[meaning] = handler


def e164(raw: str) -> str:
    """The sender's number in E.164 (Twilio sends it so; anything else is read as Danish)."""
    text = raw.strip()
    if text.startswith("+"):
        return "+" + re.sub(r"\D", "", text)
    try:
        number = phonenumbers.parse(text, "DK")
    except phonenumbers.NumberParseException:
        return text[:20]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def people_with(orm: OrmSession, phone: str) -> list[Participant]:
    """Everyone with this number (a family may share one), oldest first."""
    return list(
        orm.scalars(
            select(Participant)
            .where(Participant.phone == phone, Participant.anonymised_at.is_(None))
            .order_by(Participant.id)
        )
    )


def _act(
    orm: OrmSession, meaning: str, phone: str, people: list[Participant], now: datetime
) -> Outcome:
    site = current_app.config["HAVEHUS_SITE_NAME"]
    if meaning == "stop":
        # Twilio blocks the number and answers STOP itself: mirror it and stay silent.
        outgoing.record_stop(orm, phone, now, "sms")
        return Outcome("stop")
    if meaning == "start":
        outgoing.record_start(orm, phone, now, "sms")
        return Outcome("start")
    handler = _HANDLERS.get(meaning)
    if handler is not None:
        return handler(orm, people, now)
    if meaning == "help":
        return Outcome(
            "help",
            _(
                "%(site)s: reply YES if you are coming, NO to cancel your next booking, LINK for "
                "your bookings, or STOP for no more texts."
            )
            % {"site": site},
        )
    return Outcome(
        "other",
        _("Thank you for your message. Someone from %(site)s will read it.") % {"site": site},
    )


def _language(outcome: Outcome, people: list[Participant]) -> str:
    person = outcome.participant or (people[0] if people else None)
    return person.language if person is not None else "da"


def _stored_reply(orm: OrmSession, message_sid: str) -> str | None:
    return orm.scalar(
        select(OutboundMessage.body).where(OutboundMessage.dedupe_key == _reply_key(message_sid))
    )


def _reply_key(message_sid: str) -> str:
    return f"reply:{message_sid}"


def handle_inbound(
    orm: OrmSession, *, from_phone: str, body: str, message_sid: str, now: datetime
) -> str | None:
    """Store a reply, act on it once, and return our answer (None: answer nothing).

    Twilio retries a webhook it did not get an answer to: the same MessageSid again gets the
    same answer and changes nothing. Commits nothing: the caller commits.
    """
    phone = e164(from_phone)
    # The unique MessageSid is the lock: a retry racing the first delivery waits for it here.
    claimed = insert_ignoring_conflicts(
        orm,
        InboundMessage,
        [
            {
                "from_phone": phone,
                "body": body[:MAX_BODY],
                "provider_sid": message_sid,
                "received_at": now,
            }
        ],
    )
    if not claimed:
        log.info("Reply %s was received before; answering as then", message_sid)
        return _stored_reply(orm, message_sid)
    inbound = orm.scalars(
        select(InboundMessage).where(InboundMessage.provider_sid == message_sid)
    ).one()
    people = people_with(orm, phone)
    meaning = interpret(body)
    with force_locale(people[0].language if people else "da"):
        outcome = _act(orm, meaning, phone, people, now)
    person = outcome.participant or (people[0] if people else None)
    inbound.interpreted_as = outcome.meaning
    inbound.participant_id = person.id if person else None
    inbound.booking_id = outcome.booking.id if outcome.booking else None
    # Keywords are handled here and now; anything else waits for staff (their badge).
    inbound.handled_at = now if outcome.meaning != "other" else None
    if person is not None:
        person.last_seen_at = now
    if outcome.reply is None:
        return None
    if outcome.meaning != "start" and outgoing.opted_out(orm, phone):
        # Twilio refuses to text a number that said STOP, replies included.
        log.info("No answer to reply %s: the number opted out", message_sid)
        return None
    # The answer goes back in Twilio's response; the row only shows the conversation to staff.
    orm.add(
        OutboundMessage(
            to_phone=phone,
            participant_id=person.id if person else None,
            language=_language(outcome, people),
            body=outcome.reply,
            kind=outcome.kind,
            booking_id=outcome.booking.id if outcome.booking else None,
            session_id=outcome.session.id if outcome.session else None,
            dedupe_key=_reply_key(message_sid),
            send_after=now,
            status=MessageStatus.SENT,
            attempts=0,
            segments=count_segments(outcome.reply),
            sent_at=now,
            created_at=now,
        )
    )
    return outcome.reply
