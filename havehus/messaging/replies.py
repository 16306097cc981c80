"""Replies to our texts: what a reply means, what it does, and what we answer.

A reply is acted on only when it is unmistakable: a keyword on its own ("Nej", "Nej tak!",
"Hej, NEJ 🙏", "nej Amina" — greetings, thanks, emoji, punctuation and the person's name around
it do not count), or one of the short sentences whose meaning is clear ("jeg kommer ikke",
"gelemem", "не прийду"). Anything longer or mixed goes to staff; when such a reply holds a word
that would cancel or opt out ("Nej, men kan jeg komme senere?", «جی، میں نہیں آ سکتی»), the
person is asked back ("Do you want to cancel …? Then reply “NEJ”") instead of acted on. Words are
compared without case, accents or Arabic vowel marks, so "HJAELP", "hjælp" and "Hjælp!" are the
same word.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from havehus.config import Settings
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
#: What `interpret` can answer: a meaning, or a question back before a cancel or an opt-out
#: (the reply is kept for staff as "other" too).
READINGS = (*MEANINGS, "ask_no", "ask_stop")
#: Longest text kept of a reply (Twilio joins at most 10 segments, 1,600 characters).
MAX_BODY = 1600

#: Keywords per meaning and language, understood from everyone, on their own. Matching ignores
#: case and accents (see `normalise`). No word here may be a common name or a common word in a
#: language of the house: those are in OWN_LANGUAGE_ONLY.
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {
        # Twilio's opt-out words: Twilio blocks the number whatever we answer.
        "twilio": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        "da": ("STOP", "STOPP"),
        "ar": ("توقف", "ايقاف", "قف"),
        "tr": ("DURDUR",),
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
        # Not «اجل»: without its marks it is «أجّل», "postpone".
        "ar": ("نعم", "ايوه", "ايوا"),
        "tr": ("EVET",),
        "so": ("HAA", "HAAH", "HAYE"),
        "ur": ("ہاں", "جی", "HAAN"),
        # Many Ukrainians text in Russian.
        "uk": ("ТАК", "ДА"),
    },
    "no": {
        # Never CANCEL: that is Twilio's opt-out word.
        "da": ("NEJ", "AFMELD", "AFBUD", "FRAMELD"),
        "en": ("NO", "N", "NOPE", "CANT", "CANNOT"),
        "ar": ("لا", "كلا", "إلغاء"),
        "tr": ("HAYIR", "İPTAL", "GELEMEM"),
        "so": ("BAAJI",),
        "ur": ("نہیں", "نہ", "منسوخ", "NAHI", "NAHIN", "NHI"),
        "uk": ("НІ", "СКАСУВАТИ", "ВІДМОВА", "НЕТ"),
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
        "so": ("LINKIGA",),
        "ur": ("لنک", "بکنگ"),
        "uk": ("ПОСИЛАННЯ", "МОЇ", "БРОНЮВАННЯ"),
    },
}
#: Keywords that are also a common word or name in another language of the house ("dur ikke"
#: is Danish for "doesn't work", Maya a common name, "han" Danish "he", "ret" Danish "dish" or
#: "right"): understood only from someone whose saved language is the keyword's.
OWN_LANGUAGE_ONLY: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {"tr": ("DUR", "RET")},
    "yes": {"ur": ("HAN",)},
    "no": {"so": ("MAYA",)},
}
#: Keywords of more than one word: understood on their own, like a keyword.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "stop": {"en": ("STOP ALL", "OPT OUT"), "ar": ("الغاء الاشتراك",)},
    "yes": {"ur": ("جی ہاں", "JI HAAN", "JEE HAAN")},
    "no": {
        "da": ("KAN IKKE", "KOMMER IKKE", "AFMELD MIG"),
        "en": ("NOT COMING",),
        "tr": ("İPTAL ET", "İPTAL EDİN"),
        "so": ("KA NOQO",),
        "ur": ("جی نہیں", "JI NAHI", "JI NAHIN"),
    },
    "link": {"da": ("MINE BOOKINGER",), "en": ("MY BOOKINGS",), "uk": ("МОЇ БРОНЮВАННЯ",)},
}
#: Short sentences whose meaning is clear, acted on as their keyword is.
SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "yes": {
        "da": (
            "jeg kommer", "ja jeg kommer", "vi kommer", "ja vi kommer", "jeg kommer gerne",
            "ja jeg kommer gerne", "jeg er med", "ja jeg er med", "ja gerne", "ja det gør jeg",
        ),
        "en": (
            "i will come", "yes i will come", "ill be there", "yes ill be there",
            "i will be there", "yes i will be there", "i am coming", "yes i am coming",
            "im coming", "yes im coming", "yes please", "yes i will",
        ),
        "ar": ("سآتي", "نعم سآتي", "سأحضر", "نعم سأحضر", "نعم سوف آتي", "سوف آتي", "نعم أنا قادم"),
        "tr": ("geliyorum", "evet geliyorum", "geleceğim", "evet geleceğim", "gelirim",
               "evet gelirim"),
        "so": ("waan imanayaa", "haa waan imanayaa", "waan iman doonaa", "haa waan iman doonaa",
               "waan imaan doonaa", "haa waan imaan doonaa", "haa waan imaanayaa"),
        "ur": ("میں آؤں گا", "میں آؤں گی", "ہاں میں آؤں گا", "ہاں میں آؤں گی", "ہاں آؤں گا",
               "ہاں آؤں گی", "جی ہاں میں آؤں گا", "جی ہاں میں آؤں گی", "haan main aaunga",
               "haan main aaungi", "main aaunga", "main aaungi"),
        "uk": ("прийду", "так прийду", "я прийду", "так я прийду", "буду", "так буду",
               "так я буду", "да приду", "приду", "я приду"),
    },
    "no": {
        "da": (
            "jeg kan ikke komme", "kan ikke komme", "nej jeg kan ikke komme", "jeg kommer ikke",
            "nej jeg kommer ikke", "vi kommer ikke", "vi kan ikke komme", "nej jeg kan ikke",
            "jeg kan ikke", "jeg melder afbud", "jeg afmelder", "nej vi kommer ikke",
            "kan desværre ikke komme", "jeg kan desværre ikke komme",
            "nej jeg kan desværre ikke komme",
        ),
        "en": (
            "cant come", "i cant come", "i cannot come", "no i cant come", "no i cannot come",
            "cannot come", "im not coming", "i am not coming", "i wont come", "i will not come",
            "no i wont come", "cant make it", "i cant make it", "cannot make it",
            "i cannot make it", "no i cant make it", "sorry i cant come",
        ),
        "ar": ("لا أستطيع الحضور", "لا لا أستطيع الحضور", "لن آتي", "لن أحضر", "لا لن آتي",
               "لا أستطيع المجيء", "لا لن أحضر"),
        "tr": ("gelemiyorum", "gelemeyeceğim", "hayır gelemem", "hayır gelemiyorum",
               "iptal ediyorum", "hayır gelemeyeceğim", "maalesef gelemem",
               "maalesef gelemiyorum"),
        "so": ("ma imaan karo", "ma iman karo", "ma imanayo", "maya ma imaan karo",
               "maya ma iman karo", "ma iman doono", "baaji ballanta"),
        "ur": ("میں نہیں آ سکتا", "میں نہیں آ سکتی", "نہیں آ سکتا", "نہیں آ سکتی",
               "میں نہیں آؤں گا", "میں نہیں آؤں گی", "nahi aa sakta", "nahi aa sakti",
               "main nahi aa sakta", "main nahi aa sakti", "nahin aa sakta", "nahin aa sakti"),
        "uk": ("не прийду", "я не прийду", "ні не прийду", "не можу прийти", "я не можу прийти",
               "ні я не можу прийти", "не зможу прийти", "я не зможу прийти", "не зможу",
               "ні не зможу", "нет не приду", "не приду", "я не приду", "не могу прийти"),
    },
}  # fmt: skip
#: Words around a keyword that change nothing: greetings, thanks, please, sorry, per language.
FILLERS: dict[str, tuple[str, ...]] = {
    "da": ("hej", "hejsa", "hallo", "goddag", "godmorgen", "tak", "mange tak", "tusind tak",
           "venligst", "undskyld", "desværre", "kære", "hilsen", "mvh", "venlig hilsen"),
    "en": ("hi", "hello", "hey", "thanks", "thank you", "please", "sorry", "dear",
           "good morning", "regards"),
    "ar": ("مرحبا", "السلام عليكم", "سلام", "شكرا", "شكرا لكم", "شكرا جزيلا", "من فضلك",
           "عفوا", "آسف", "اسف"),
    "tr": ("merhaba", "selam", "selamlar", "teşekkürler", "teşekkür ederim", "sağol",
           "sağolun", "lütfen", "kusura bakmayın", "iyi günler"),
    "so": ("salaan", "asc", "salaamu calaykum", "nabad", "mahadsanid", "fadlan", "waan ka xumahay"),
    "ur": ("السلام علیکم", "سلام", "شکریہ", "بہت شکریہ", "مہربانی", "معاف کیجیے",
           "shukriya", "salam", "assalam o alaikum"),
    "uk": ("привіт", "добрий день", "дякую", "щиро дякую", "будь ласка", "вибачте",
           "спасибі", "спасибо", "здравствуйте"),
}  # fmt: skip
#: Words that would cancel or opt out if the reply were clear: in an unclear reply they make us
#: ask back. The cancel words: every "no" keyword, phrase and sentence (but not the letter N),
#: and these; CANCEL alone is Twilio's opt-out, but in a sentence it means the booking.
NO_CUES = ("CANCEL", "AFLYS", "AFLYSE", "AFMELDE", "GELEMİYORUM", "НЕ ПРИЙДУ", "НЕ МОЖУ")
#: Cancel words that are ordinary words in a sentence of another language: Arabic «لا» ("no")
#: is Urdu "bring" («بہن کو لا سکتی ہوں»).
NOT_A_CUE_IN: dict[str, tuple[str, ...]] = {"ur": ("لا",)}
#: The opt-out words that ask back inside a sentence: not END, QUIT or «بند» ("closed"), which
#: are ordinary words in sentences ("senere end", "دروازہ بند ہے").
STOP_CUES = (
    "STOP", "STOPP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "OPTOUT", "OPT OUT", "توقف",
    "ايقاف", "الغاء الاشتراك", "DURDUR", "JOOJI", "JOOGSO", "روکیں", "روکو", "СТОП", "ЗУПИНИТИ",
)  # fmt: skip

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


Table = dict[str, dict[str, tuple[str, ...]]]


def _index(*tables: Table) -> dict[str, str]:
    """Normalised words → meaning; a word with two meanings is a bug."""
    found: dict[str, str] = {}
    for table in tables:
        for meaning, by_language in table.items():
            for words in by_language.values():
                for word in words:
                    key = normalise(word)
                    if found.get(key, meaning) != meaning:
                        raise ValueError(f"{word!r} means both {found[key]} and {meaning}")
                    found[key] = meaning
    return found


_CLEAR = _index(KEYWORDS, PHRASES, SENTENCES)
_OWN_LANGUAGE = {
    language: {normalise(word): meaning for word in words}
    for meaning, by_language in OWN_LANGUAGE_ONLY.items()
    for language, words in by_language.items()
}
_FILLERS = sorted(
    {tuple(normalise(words).split()) for fillers in FILLERS.values() for words in fillers},
    key=len,
    reverse=True,
)
_CUES = {
    "no": {tuple(key.split()) for key, said in _CLEAR.items() if said == "no" and key != "n"}
    | {tuple(normalise(word).split()) for word in NO_CUES},
    "stop": {tuple(normalise(word).split()) for word in STOP_CUES},
}
#: Twilio's opt-out words that are no keyword of ours in any language: they opt out only alone.
_TWILIO_ONLY = {normalise(word) for word in KEYWORDS["stop"]["twilio"]} - {
    normalise(word)
    for language, words in KEYWORDS["stop"].items()
    if language != "twilio"
    for word in words
}
_CANCEL = normalise("CANCEL")
if _CLEAR.keys() & {key for fillers in _FILLERS for key in [" ".join(fillers)]}:
    raise ValueError("a filler is also a keyword")


def _without(words: list[str], ignored: Iterable[tuple[str, ...]]) -> list[str]:
    """The words with every run of `ignored` words taken out."""
    runs = sorted(set(ignored), key=len, reverse=True)
    kept: list[str] = []
    i = 0
    while i < len(words):
        for run in runs:
            if run and tuple(words[i : i + len(run)]) == run:
                i += len(run)
                break
        else:
            kept.append(words[i])
            i += 1
    return kept


def _holds(words: list[str], cues: set[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + len(cue)]) == cue for cue in cues for i in range(len(words)))


def interpret(body: str, languages: Iterable[str] = (), names: Iterable[str] = ()) -> str:
    """What a reply means: one of READINGS.

    `languages` are the saved languages of the people with the sender's number (their own
    language's words that are common words elsewhere count only then); `names` are their names
    and the house's, which may stand around a keyword.
    """
    own = {
        word: meaning for lang in languages for word, meaning in _OWN_LANGUAGE.get(lang, {}).items()
    }
    name_words = {
        (word,)
        for name in names
        for word in normalise(name).split()
        if word not in _CLEAR and word not in own
    }
    words = _without(normalise(body).split(), [*_FILLERS, *name_words])
    said = " ".join(words)
    if said in _CLEAR:
        if said in _TWILIO_ONLY and normalise(body) != said:
            # Twilio opts a number out only on its word alone: "Please cancel" asks back.
            return "ask_no" if said == _CANCEL else "ask_stop"
        return _CLEAR[said]
    if said in own:
        return own[said]
    not_cues = {(normalise(word),) for lang in languages for word in NOT_A_CUE_IN.get(lang, ())}
    cues = {
        meaning: (_CUES[meaning] - not_cues)
        | {(word,) for word, said in own.items() if said == meaning}
        for meaning in ("no", "stop")
    }
    if _holds(words, cues["no"]):
        return "ask_no"
    if _holds(words, cues["stop"]):
        return "ask_stop"
    return "other"


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


#: What a reply does, for the meanings a domain owns (yes, no, link: the sign-ups), and the
#: question back before a cancel (ask_no: the sign-ups know which booking it would cancel).
ReplyHandler = Callable[[OrmSession, list[Participant], datetime, Settings], Outcome]
_HANDLERS: dict[str, ReplyHandler] = {}


def register_handler(meaning: str, handler: ReplyHandler) -> None:
    """Let a domain act on replies of one meaning; messaging itself knows no bookings.

    A meaning nobody handles is kept for staff, as "other" is.
    """
    if meaning not in READINGS or meaning in ("stop", "start", "help", "other", "ask_stop"):
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
    orm: OrmSession,
    meaning: str,
    phone: str,
    people: list[Participant],
    now: datetime,
    settings: Settings,
) -> Outcome:
    site = settings.site_name
    if meaning == "stop":
        # Twilio blocks the number and answers STOP itself: mirror it and stay silent.
        outgoing.record_stop(orm, phone, now, "sms", settings)
        return Outcome("stop")
    if meaning == "start":
        outgoing.record_start(orm, phone, now, "sms", settings)
        return Outcome("start")
    if meaning == "ask_stop":
        return Outcome(
            "other",
            _('Should %(site)s stop sending you texts? Then reply "STOP".') % {"site": site},
        )
    handler = _HANDLERS.get(meaning)
    if handler is not None:
        return handler(orm, people, now, settings)
    if meaning == "help":
        return Outcome(
            "help",
            _(
                'If you are coming, reply "YES". To cancel your next booking, reply "NO". For '
                'your bookings, reply "LINK". For no more texts, reply "STOP". %(site)s'
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
    orm: OrmSession,
    *,
    from_phone: str,
    body: str,
    message_sid: str,
    now: datetime,
    settings: Settings,
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
    site = settings.site_name
    meaning = interpret(
        body,
        languages={person.language for person in people},
        names=[*(person.display_name for person in people), site],
    )
    with force_locale(people[0].language if people else "da"):
        outcome = _act(orm, meaning, phone, people, now, settings)
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
    if outcome.meaning != "start" and outgoing.opted_out(orm, phone, settings):
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
