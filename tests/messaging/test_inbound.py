"""Replies at /sms/inbound: signed by Twilio, understood in every language, acted on once."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from havehus.config import change_settings, current_settings, settings_of
from havehus.extensions import db
from havehus.messaging.outbox import process_due
from havehus.messaging.replies import KEYWORDS, MEANINGS, interpret
from havehus.models import Booking, InboundMessage, OptOut, OutboundMessage, Participant
from havehus.people.audit import CLI
from havehus.program.sessions import cancel_session
from havehus.signup.reminders import queue_reminders
from havehus.signup.services import book, cancel, record_consent
from tests.factories import add_participant, number_key
from tests.messaging.fake_twilio import (
    AUTH_TOKEN,
    PUBLIC_URL,
    inbound_params,
    post_inbound,
    post_signed,
    twilio_signature,
)
from tests.messaging.test_outbox import RecordingGateway

TZ = ZoneInfo("Europe/Copenhagen")
#: Tuesday 1 December 2026, 11:00 in Copenhagen: the webhooks' clock.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
#: Thursday 3 December 2026, 17:00 in Copenhagen.
START = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
BOOKED_AT = NOW - timedelta(days=3)


@pytest.fixture
def sms(any_app, clock):
    """The app with Twilio's auth token configured and its clock at NOW."""
    change_settings(any_app, twilio_auth_token=AUTH_TOKEN)
    clock.set(NOW)
    return any_app.test_client()


@pytest.fixture
def sqlite_sms(app, clock):
    change_settings(app, twilio_auth_token=AUTH_TOKEN)
    clock.set(NOW)
    return app.test_client()


@pytest.fixture
def person():
    def make(language: str = "da", phone: str | None = None, name: str | None = None):
        return add_participant(name, at=BOOKED_AT, phone=phone or "auto", language=language)

    return make


@pytest.fixture
def dinner(make_activity, make_session):
    """A sign-up session at `starts_at` (default START) with `capacity` seats and a waitlist."""

    def make(capacity: int = 1, starts_at: datetime = START, **fields):
        activity = make_activity(
            mode="signup",
            capacity=capacity,
            waitlist_enabled=True,
            title=fields.pop("title", {"da": "Sammen om maden", "en": "Cooking together"}),
            reminder_offsets=fields.pop("reminder_offsets", [180]),
            **fields,
        )
        return make_session(activity, starts_at)

    return make


def sign_up(session, someone) -> Booking:
    booking = book(
        db.session,
        session,
        someone,
        BOOKED_AT,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    db.session.commit()
    return booking.booking


def answer(response) -> list[str]:
    """The texts of a TwiML answer (an empty list for an empty <Response/>)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def inbound() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def replies_recorded() -> list[OutboundMessage]:
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.dedupe_key.like("reply:%"))
            .order_by(OutboundMessage.id)
        )
    )


# ---------------------------------------------------------------- signature


def _unsigned(client, path, params):
    return client.post(path, data=params)


def _wrong_token(client, path, params):
    return post_signed(client, path, params, auth_token="not-the-auth-token")


def _signed_for_the_host(client, path, params):
    # What a naive check would accept: the URL the request arrived at, not the public one.
    return post_signed(client, path, params, signed_url="http://localhost" + path)


def _tampered(client, path, params):
    signature = twilio_signature(PUBLIC_URL + path, params)
    changed = {**params, "Body": "NEJ", "MessageStatus": "delivered"}
    return client.post(path, data=changed, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
@pytest.mark.parametrize("attempt", [_unsigned, _wrong_token, _signed_for_the_host, _tampered])
def test_unsigned_or_forged_webhooks_are_refused_and_nothing_is_stored(
    sms, dinner, person, caplog, path, attempt
):
    someone = person()
    booking = sign_up(dinner(), someone)
    params = inbound_params(someone.phone, "NEJ")
    params["MessageStatus"] = "failed"
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        response = attempt(sms, path, params)
    assert response.status_code == 403
    assert count(InboundMessage) == 0 and count(OutboundMessage) == 0
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
    assert "Refused POST " + path in caplog.text
    assert AUTH_TOKEN not in caplog.text


def test_without_an_auth_token_nothing_can_be_signed_so_everything_is_refused(app, person, caplog):
    assert settings_of(app).sms_backend == "console"
    assert settings_of(app).twilio_auth_token == ""
    client = app.test_client()
    someone = person()
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        assert post_inbound(client, someone.phone, "STOP").status_code == 403
        assert client.post("/sms/inbound", data={"Body": "STOP"}).status_code == 403
        assert client.post("/sms/status", data={}).status_code == 403
    assert count(InboundMessage) == 0 and count(OptOut) == 0
    assert "HAVEHUS_TWILIO_AUTH_TOKEN is not set" in caplog.text


def test_the_signature_is_checked_against_the_public_url_behind_a_proxy(sms, person):
    someone = person()
    db.session.commit()
    # The proxy forwards to an internal address; Twilio signed the public URL it was given.
    behind_proxy = "http://10.0.0.7:8000"
    response = post_inbound(sms, someone.phone, "HELP", base_url=behind_proxy)
    assert response.status_code == 200
    signed_internal = post_signed(
        sms,
        "/sms/inbound",
        inbound_params(someone.phone, "HELP"),
        signed_url=behind_proxy + "/sms/inbound",
        base_url=behind_proxy,
    )
    assert signed_internal.status_code == 403
    # A forged Host header changes nothing either.
    forged_host = post_signed(
        sms,
        "/sms/inbound",
        inbound_params(someone.phone, "HELP"),
        signed_url="http://evil.example/sms/inbound",
        base_url="http://evil.example",
    )
    assert forged_host.status_code == 403
    assert count(InboundMessage) == 1


def test_a_query_string_is_part_of_the_signed_url(sms, person):
    someone = person()
    db.session.commit()
    params = inbound_params(someone.phone, "HELP")
    signature = twilio_signature(PUBLIC_URL + "/sms/inbound?house=1", params)
    headers = {"X-Twilio-Signature": signature}
    assert sms.post("/sms/inbound?house=1", data=params, headers=headers).status_code == 200
    other = inbound_params(someone.phone, "HELP")
    signature = twilio_signature(PUBLIC_URL + "/sms/inbound", other)
    headers = {"X-Twilio-Signature": signature}
    assert sms.post("/sms/inbound?house=1", data=other, headers=headers).status_code == 403


def test_a_signed_request_without_sender_or_sid_is_a_bad_request(sms):
    params = {"Body": "JA", "AccountSid": "AC" + "0" * 32}
    assert post_signed(sms, "/sms/inbound", params).status_code == 400
    assert count(InboundMessage) == 0


# ---------------------------------------------------------------- keywords

#: (reply, meaning): every keyword in every language, with capitals, accents or none, thanks
#: and punctuation, from someone whose language is not known (so MAYA and DUR, which are only
#: Somali and Turkish words, mean nothing). The long table is replies_table.csv.
CASES = [
    # Danish
    ("JA", "yes"), ("ja jeg kommer", "yes"), ("Ja tak!", "yes"), ("jep", "yes"),
    ("NEJ", "no"), ("Nej tak!", "no"), ("nej, jeg er syg", "ask_no"), ("Afmeld", "no"),
    ("AFBUD i dag", "ask_no"), ("kan ikke komme", "no"), ("Kommer ikke", "no"),
    ("HJÆLP", "help"), ("hjælp?", "help"), ("Hjaelp", "help"), ("hjelp", "help"),
    ("STOP", "stop"), ("Stop venligst", "stop"), ("START", "start"),
    ("LINK", "link"), ("mine", "link"), ("Mine bookinger", "link"), ("bookinger", "link"),
    ("Mine børn er syge", "other"),
    # English, and Twilio's own keywords
    ("yes", "yes"), ("Yes I'll be there", "yes"), ("Y", "yes"), ("yeah!", "yes"),
    ("no", "no"), ("No thanks", "no"), ("NOPE", "no"), ("can't come", "no"),
    ("cannot make it", "no"), ("not coming", "no"), ("n", "no"),
    ("help", "help"), ("INFO", "help"), ("link", "link"), ("My bookings", "link"),
    ("my", "link"), ("My son is ill", "other"),
    ("STOP", "stop"), ("stopall", "stop"), ("Stop all", "stop"), ("UNSUBSCRIBE", "stop"),
    ("cancel", "stop"), ("CANCEL my booking", "ask_no"), ("End", "stop"), ("quit", "stop"),
    ("revoke", "stop"), ("optout", "stop"), ("opt out", "stop"),
    ("start", "start"), ("Unstop", "start"),
    # Arabic, with and without hamza, madda, taa marbuta and vowel marks
    ("نعم", "yes"), ("نَعَم", "yes"), ("نعم سآتي", "yes"), ("ايوه", "yes"), ("أجل", "other"),
    ("لا", "no"), ("لا شكرا", "no"), ("إلغاء", "no"), ("الغاء", "no"), ("كلا", "no"),
    ("مساعدة", "help"), ("مساعده", "help"), ("توقف", "stop"), ("إيقاف", "stop"),
    ("إلغاء الاشتراك", "stop"), ("ابدأ", "start"), ("ابدا", "start"),
    ("رابط", "link"), ("حجوزاتي", "link"),
    # Turkish, with and without its letters
    ("EVET", "yes"), ("evet geliyorum", "yes"), ("HAYIR", "no"), ("hayır", "no"),
    ("İPTAL", "no"), ("iptal", "no"), ("gelemem", "no"), ("YARDIM", "help"),
    ("DUR", "other"), ("durdur", "stop"), ("BAŞLA", "start"), ("basla", "start"),
    ("bağlantı", "link"), ("BAGLANTI", "link"),
    # Somali
    ("HAA", "yes"), ("haa waan imanayaa", "yes"), ("MAYA", "other"), ("maya mahadsanid", "other"),
    ("ka noqo", "no"), ("baaji", "no"), ("CAAWIMAAD", "help"), ("caawi", "help"),
    ("JOOJI", "stop"), ("joogso", "stop"), ("BILOW", "start"), ("linkiga", "link"),
    # Urdu, in its script and in Latin letters
    ("ہاں", "yes"), ("جی", "yes"), ("haan", "yes"), ("نہیں", "no"), ("نہ", "no"),
    ("جی نہیں", "no"), ("nahi", "no"), ("Nahin", "no"), ("منسوخ", "no"), ("مدد", "help"),
    ("بند", "stop"), ("روکیں", "stop"), ("شروع", "start"), ("لنک", "link"),
    # Ukrainian
    ("ТАК", "yes"), ("так, прийду", "yes"), ("НІ", "no"), ("ні дякую", "no"),
    ("скасувати", "no"), ("ДОПОМОГА", "help"), ("довідка", "help"), ("СТОП", "stop"),
    ("Зупинити", "stop"), ("старт", "start"), ("почати", "start"),
    ("посилання", "link"), ("мої", "link"), ("Мої бронювання", "link"),
    ("Мої діти хворі", "other"),
    # Anything else is for staff
    ("Hvornår starter det?", "other"), ("Kan jeg tage min søster med?", "other"),
    ("👍", "other"), ("", "other"), ("   ", "other"), ("?!", "other"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "meaning"), CASES)
def test_each_keyword_in_each_language_is_understood(body, meaning):
    assert interpret(body) == meaning


def test_every_keyword_of_the_table_is_understood_as_its_meaning():
    for meaning, by_language in KEYWORDS.items():
        assert meaning in MEANINGS
        for words in by_language.values():
            for word in words:
                assert interpret(word) == meaning, word
                assert interpret(word.lower() + ", tak!") == meaning or word in (
                    "MY",
                    "MINE",
                    "МОЇ",
                    # Twilio's own words opt out only alone; around words they are asked back
                    *TWILIO_ONLY,
                )


TWILIO_ONLY = ("STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")


def test_cancel_is_never_a_cancel_word():
    # CANCEL is Twilio's opt-out: Twilio blocks the number, so we must treat it the same.
    assert "CANCEL" not in KEYWORDS["no"].get("en", ())
    assert interpret("cancel") == "stop"
    # ... but Twilio does only on the word alone: "Please cancel" is asked back, not obeyed.
    assert interpret("Please cancel", names=["Amina"]) == "ask_no"
    assert interpret("Cancel Amina", names=["Amina"]) == "ask_no"
    assert interpret("quit please") == "ask_stop"


@pytest.mark.parametrize(
    ("language", "yes_word", "no_word"),
    [
        ("da", "Ja tak", "Nej tak!"),
        ("en", "Yes", "No thanks"),
        ("ar", "نعم", "لا شكرا"),
        ("tr", "Evet", "İptal"),
        ("so", "Haa", "Maya"),
        ("ur", "ہاں", "نہیں"),
        ("uk", "Так", "Ні"),
    ],
)
def test_yes_and_no_in_each_language_act_through_the_webhook(
    sqlite_sms, dinner, person, language, yes_word, no_word
):
    someone = person(language)
    booking = sign_up(dinner(capacity=3), someone)
    assert len(answer(post_inbound(sqlite_sms, someone.phone, yes_word))) == 1
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).intent_confirmed_at == NOW
    assert len(answer(post_inbound(sqlite_sms, someone.phone, no_word))) == 1
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
    assert [m.interpreted_as for m in inbound()] == ["yes", "no"]
    assert {r.language for r in replies_recorded()} == {language}


# ---------------------------------------------------------------- actions


def test_nej_cancels_the_nearest_booking_and_promotes_the_waitlist(sms, dinner, person):
    session = dinner(capacity=1)
    later = dinner(capacity=1, starts_at=START + timedelta(days=7))
    seated, waiting = person(), person("en")
    booking = sign_up(session, seated)
    next_week = sign_up(later, seated)
    waitlisted = sign_up(session, waiting)
    assert waitlisted.status == "waitlisted"

    (text,) = answer(post_inbound(sms, seated.phone, "Nej tak!"))
    assert "Sammen om maden" in text and "torsdag" in text and "Afmeldt" in text

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
    assert db.session.get(Booking, next_week.id).status == "confirmed"
    assert db.session.get(Booking, waitlisted.id).status == "confirmed"
    promoted = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == "waitlist-promotion")
    ).one()
    assert promoted.to_phone == waiting.phone and promoted.status == "pending"
    assert promoted.language == "en" and "A seat is free for you" in promoted.body

    (message,) = inbound()
    assert message.interpreted_as == "no" and message.booking_id == booking.id
    assert message.participant_id == seated.id and message.handled_at == NOW
    assert message.from_phone == seated.phone and message.body == "Nej tak!"
    (reply,) = replies_recorded()
    assert reply.body == text and reply.kind == "confirmation" and reply.status == "sent"
    assert reply.provider_sid is None and reply.segments == 1 and reply.sent_at == NOW
    assert reply.booking_id == booking.id and reply.to_phone == seated.phone
    # The worker sends only the promotion: the reply went back in Twilio's answer.
    run = process_due(db.session, RecordingGateway(), NOW, "w", 300, settings=current_settings())
    assert run.sent == [promoted.id]


def test_nej_takes_someone_off_the_waiting_list(sms, dinner, person):
    session = dinner(capacity=1)
    sign_up(session, person())
    waiting = person()
    waitlisted = sign_up(session, waiting)
    (text,) = answer(post_inbound(sms, waiting.phone, "NEJ"))
    assert "venteliste" in text
    db.session.expire_all()
    assert db.session.get(Booking, waitlisted.id).status == "cancelled"


def test_ja_takes_an_offered_seat(sms, dinner, person):
    session = dinner(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated, waiting = person(), person()
    booking = sign_up(session, seated)
    waitlisted = sign_up(session, waiting)
    offered = cancel(db.session, booking, NOW - timedelta(hours=1), CLI, current_settings())
    db.session.commit()
    assert offered.id == waitlisted.id and offered.status == "offered"

    (text,) = answer(post_inbound(sms, waiting.phone, "JA"))
    assert "/bookings/" in text
    db.session.expire_all()
    taken = db.session.get(Booking, waitlisted.id)
    assert taken.status == "confirmed" and taken.offered_until is None
    (message,) = inbound()
    assert message.interpreted_as == "yes" and message.booking_id == waitlisted.id


def test_ja_takes_the_offered_seat_before_a_nearer_booking(sms, dinner, person):
    """The offer's text asked for this JA; a booking they already hold, sooner, is not it."""
    walk = dinner(capacity=5, starts_at=START - timedelta(days=1), title={"da": "Gåtur"})
    session = dinner(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated, waiting = person(), person()
    sooner = sign_up(walk, waiting)
    booking = sign_up(session, seated)
    waitlisted = sign_up(session, waiting)
    cancel(db.session, booking, NOW - timedelta(hours=1), CLI, current_settings())
    db.session.commit()

    (text,) = answer(post_inbound(sms, waiting.phone, "JA"))

    db.session.expire_all()
    assert db.session.get(Booking, waitlisted.id).status == "confirmed"
    assert db.session.get(Booking, sooner.id).status == "confirmed"
    assert "/bookings/" in text and "Gåtur" not in text


def test_ja_to_an_offer_that_ran_out_says_so(sms, dinner, person):
    session = dinner(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated, waiting = person(), person()
    booking = sign_up(session, seated)
    waitlisted = sign_up(session, waiting)
    cancel(db.session, booking, NOW - timedelta(hours=13), CLI, current_settings())
    db.session.commit()
    (text,) = answer(post_inbound(sms, waiting.phone, "ja"))
    assert "ikke længere" in text
    db.session.expire_all()
    assert db.session.get(Booking, waitlisted.id).status == "offered"


def test_ja_confirms_the_intent_of_the_nearest_confirmed_booking(sms, dinner, person):
    someone = person()
    later = sign_up(dinner(capacity=2, starts_at=START + timedelta(days=7)), someone)
    nearest = sign_up(dinner(capacity=2), someone)
    (text,) = answer(post_inbound(sms, someone.phone, "Ja, jeg kommer"))
    assert "Tak" in text and "Sammen om maden" in text
    db.session.expire_all()
    assert db.session.get(Booking, nearest.id).intent_confirmed_at == NOW
    assert db.session.get(Booking, later.id).intent_confirmed_at is None
    (reply,) = replies_recorded()
    assert reply.kind == "confirmation" and reply.booking_id == nearest.id


def test_past_and_cancelled_sessions_are_not_acted_on(sms, dinner, person, make_session):
    someone = person()
    yesterday = dinner(capacity=2, starts_at=NOW - timedelta(days=1))
    booking = book(
        db.session,
        yesterday,
        someone,
        NOW - timedelta(days=3),
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    ).booking
    called_off = dinner(capacity=2)
    other = sign_up(called_off, someone)
    called_off.status = "cancelled"
    db.session.commit()
    (text,) = answer(post_inbound(sms, someone.phone, "NEJ"))
    assert "kunne ikke finde" in text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
    assert db.session.get(Booking, other.id).status == "confirmed"
    (message,) = inbound()
    assert message.interpreted_as == "no" and message.booking_id is None


def test_a_sensitive_activity_is_named_by_its_neutral_wording(sms, dinner, person):
    someone = person()
    session = dinner(
        capacity=2,
        title={"da": "Pop-up vaccination"},
        sensitive=True,
        neutral_title={"da": "Sundhedstjek", "en": "Health check"},
    )
    record_consent(db.session, someone, "health", BOOKED_AT)
    sign_up(session, someone)
    (text,) = answer(post_inbound(sms, someone.phone, "JA"))
    assert "Sundhedstjek" in text and "vaccination" not in text


def test_stop_blocks_reminders_and_start_allows_them_again(sms, dinner, person):
    someone = person()
    booking = sign_up(dinner(capacity=2), someone)
    quiet = {"quiet_start": time(21, 0), "quiet_end": time(8, 0), "tz": TZ}
    # A reminder was already waiting in the outbox when STOP came.
    queue_reminders(db.session, START - timedelta(hours=3), **quiet, settings=current_settings())
    db.session.commit()

    assert answer(post_inbound(sms, someone.phone, "STOP")) == []
    optout = db.session.scalars(select(OptOut)).one()
    assert optout.phone_hash == number_key(someone.phone) and optout.source == "sms"
    (message,) = inbound()
    assert message.interpreted_as == "stop" and message.handled_at == NOW

    at = START - timedelta(hours=3)
    run = process_due(db.session, RecordingGateway(), at, "w", 300, settings=current_settings())
    assert run.sent == [] and len(run.skipped) == 1
    db.session.expire_all()
    (waiting,) = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == "reminder")
    )
    assert waiting.status == "skipped" and waiting.last_error == "the number opted out"

    # A new reminder is not even queued while the number is opted out.
    later = dinner(capacity=2, starts_at=START + timedelta(days=7))
    sign_up(later, someone)
    assert (
        queue_reminders(
            db.session, START + timedelta(days=7, hours=-3), **quiet, settings=current_settings()
        )
        == 0
    )
    db.session.commit()

    assert answer(post_inbound(sms, someone.phone, "START")) == []
    assert count(OptOut) == 0
    assert (
        queue_reminders(
            db.session, START + timedelta(days=7, hours=-3), **quiet, settings=current_settings()
        )
        == 1
    )
    db.session.commit()
    assert [m.interpreted_as for m in inbound()] == ["stop", "start"]
    assert replies_recorded() == []  # Twilio answers STOP and START itself
    assert db.session.get(Booking, booking.id).status == "confirmed"


def test_after_stop_no_change_notice_or_seat_offer_reaches_the_number(sms, dinner, person):
    someone, neighbour, waiting = person(), person(), person()
    session = dinner(capacity=1)
    sign_up(session, someone)
    sign_up(session, waiting)  # on the waiting list
    moved = dinner(capacity=2, starts_at=START + timedelta(days=7))
    sign_up(moved, someone)
    sign_up(moved, neighbour)
    # A notice queued before STOP, still waiting in the outbox when STOP comes.
    cancel_session(db.session, moved, "Syg kok", NOW, CLI, tz=TZ, settings=current_settings())
    db.session.commit()

    answer(post_inbound(sms, someone.phone, "STOP"))
    answer(post_inbound(sms, waiting.phone, "STOP"))
    summary = cancel_session(
        db.session, session, "Stormvarsel", NOW, CLI, tz=TZ, settings=current_settings()
    )
    db.session.commit()

    assert (summary.notices, summary.unreached) == (0, 2)
    run = process_due(db.session, RecordingGateway(), NOW, "w", 300, settings=current_settings())
    sent_to = {m.to_phone for m in db.session.scalars(select(OutboundMessage)) if m.id in run.sent}
    assert sent_to == {neighbour.phone}
    stopped = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.to_phone == someone.phone)
    ).all()
    assert [(m.kind, m.status) for m in stopped] == [("change", "skipped")]


def test_staff_see_who_said_stop_beside_their_name(client, signed_in, dinner, person):
    signed_in("manager")
    someone = person(name="Zainab")
    session = dinner(capacity=2)
    sign_up(session, someone)
    db.session.add(OptOut(phone_hash=number_key(someone.phone), opted_out_at=NOW, source="sms"))
    db.session.commit()
    listing = client.get(f"/staff/sessions/{session.id}/bookings?q=Zainab")
    assert listing.get_data(as_text=True).count("no texts (STOP)") == 0  # Danish page
    assert listing.get_data(as_text=True).count("ingen sms (STOP)") == 2  # list and search


def test_a_repeated_message_sid_gets_the_same_answer_and_acts_once(sms, dinner, person):
    someone = person()
    first = sign_up(dinner(capacity=2), someone)
    second = sign_up(dinner(capacity=2, starts_at=START + timedelta(days=7)), someone)
    params = inbound_params(someone.phone, "NEJ", "SM" + "a" * 32)
    answers = [answer(post_signed(sms, "/sms/inbound", params)) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2] and len(answers[0]) == 1
    db.session.expire_all()
    assert db.session.get(Booking, first.id).status == "cancelled"
    assert db.session.get(Booking, second.id).status == "confirmed"
    assert count(InboundMessage) == 1 and len(replies_recorded()) == 1
    # STOP retried: still an empty answer, one opt-out.
    stop = inbound_params(someone.phone, "STOP", "SM" + "b" * 32)
    assert answer(post_signed(sms, "/sms/inbound", stop)) == []
    assert answer(post_signed(sms, "/sms/inbound", stop)) == []
    assert count(InboundMessage) == 2 and count(OptOut) == 1


def test_an_unknown_number_gets_a_friendly_danish_answer(sms):
    (text,) = answer(post_inbound(sms, "+4530990099", "JA"))
    assert "kunne ikke finde" in text
    (text,) = answer(post_inbound(sms, "+4530990099", "Hej, hvornår åbner I?"))
    assert "Havehuset" in text
    yes, other = inbound()
    assert yes.participant_id is None and yes.interpreted_as == "yes" and yes.handled_at == NOW
    # Only what no keyword covers waits for staff (their badge counts these).
    assert other.interpreted_as == "other" and other.handled_at is None
    assert {r.language for r in replies_recorded()} == {"da"}


def test_a_number_written_without_plus_is_matched_in_e164(sms, dinner, person):
    someone = person(phone="+4520991234")
    booking = sign_up(dinner(capacity=2), someone)
    answer(post_inbound(sms, "20 99 12 34", "JA"))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).intent_confirmed_at == NOW
    assert inbound()[0].from_phone == "+4520991234"


def test_a_number_is_one_person_and_no_acts_on_their_nearest_booking(sms, dinner, person):
    """One number is one person (the family comes along as guests): NO cancels the booking of
    that person that comes first."""
    mother = person("en", phone="+4520995555", name="Amina")
    later = sign_up(dinner(capacity=2, starts_at=START + timedelta(days=7)), mother)
    sooner = sign_up(dinner(capacity=2), mother)
    (text,) = answer(post_inbound(sms, "+4520995555", "NO"))
    assert "Cancelled" in text  # in the person's language
    db.session.expire_all()
    assert db.session.get(Booking, sooner.id).status == "cancelled"
    assert db.session.get(Booking, later.id).status == "confirmed"
    (message,) = inbound()
    assert message.participant_id == mother.id and message.booking_id == sooner.id


def test_link_answers_with_the_my_bookings_page(sms, dinner, person):
    someone = person()
    sign_up(dinner(capacity=2), someone)
    (text,) = answer(post_inbound(sms, someone.phone, "Link tak"))
    match = re.search(re.escape(PUBLIC_URL) + r"(/me/[\w-]+)", text)
    assert match, text
    assert sms.get(match.group(1)).status_code == 200
    (reply,) = replies_recorded()
    assert reply.kind == "link" and reply.status == "sent" and reply.provider_sid is None
    # Asking again gives the same link: it is the person's one page.
    (again,) = answer(post_inbound(sms, someone.phone, "LINK"))
    assert again == text


def test_help_explains_the_words_in_the_persons_language(sms, person):
    dane, english = person(), person("en")
    db.session.commit()
    (text,) = answer(post_inbound(sms, dane.phone, "hjælp"))
    assert "JA" in text and "NEJ" in text and "STOP" in text
    (text,) = answer(post_inbound(sms, english.phone, "HELP"))
    assert "YES" in text and "NO" in text and "STOP" in text


def test_an_opted_out_number_can_still_cancel_but_gets_no_answer(sms, dinner, person):
    someone = person()
    booking = sign_up(dinner(capacity=2), someone)
    answer(post_inbound(sms, someone.phone, "STOP"))
    # Twilio refuses to text the number now, so there is no answer to record.
    assert answer(post_inbound(sms, someone.phone, "NEJ")) == []
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
    assert replies_recorded() == []
    assert inbound()[1].booking_id == booking.id


def test_a_reply_that_might_cancel_is_asked_back_and_only_the_clear_answer_cancels(
    sms, dinner, person
):
    someone = person()
    booking = sign_up(dinner(capacity=2), someone)
    (question,) = answer(post_inbound(sms, someone.phone, "Nej, jeg er syg. Kan jeg komme senere?"))
    assert "Sammen om maden" in question and "torsdag" in question and '"NEJ"' in question
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
    (asked,) = inbound()
    # Kept for staff, too: nothing was done.
    assert asked.interpreted_as == "other" and asked.handled_at is None
    assert asked.booking_id is None
    answer(post_inbound(sms, someone.phone, "NEJ"))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"


def test_a_sentence_that_might_opt_out_is_asked_back_and_the_number_stays_in(sms, person):
    someone = person("en")
    db.session.commit()
    (question,) = answer(post_inbound(sms, someone.phone, "Please stop texting me so often"))
    assert '"STOP"' in question
    assert count(OptOut) == 0
    assert inbound()[0].interpreted_as == "other"


@pytest.mark.parametrize(
    ("language", "name", "body"),
    [
        ("da", "Jens Hansen", "Maya kommer gerne"),
        ("da", "Jens Hansen", "Dur ikke"),
        ("ar", "أمينة حسن", "أجّل الموعد"),
        ("ur", "فاطمہ خان", "جی، میں نہیں آ سکتی"),
    ],
)
def test_the_collisions_of_the_old_first_word_rule_act_on_nothing(
    sms, dinner, person, language, name, body
):
    someone = person(language, name=name)
    booking = sign_up(dinner(capacity=2), someone)
    answer(post_inbound(sms, someone.phone, body))
    db.session.expire_all()
    stored = db.session.get(Booking, booking.id)
    assert stored.status == "confirmed" and stored.intent_confirmed_at is None
    assert count(OptOut) == 0
    assert inbound()[0].interpreted_as == "other"


def test_words_of_one_language_that_are_common_elsewhere_act_only_for_its_speakers(
    sms, dinner, person
):
    turk, dane = person("tr"), person("da")
    somali = person("so")
    booking = sign_up(dinner(capacity=3), somali)
    answer(post_inbound(sms, dane.phone, "Ret"))
    assert count(OptOut) == 0
    answer(post_inbound(sms, turk.phone, "RET"))
    assert db.session.scalar(select(OptOut.phone_hash)) == number_key(turk.phone)
    answer(post_inbound(sms, somali.phone, "Maya"))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"


def test_a_reply_marks_the_person_as_seen(sms, dinner, person):
    someone = person()
    sign_up(dinner(capacity=2), someone)
    answer(post_inbound(sms, someone.phone, "JA"))
    db.session.expire_all()
    assert db.session.get(Participant, someone.id).last_seen_at == NOW


@pytest.mark.parametrize(
    "change",
    [
        {"Body": "JA\x00"},
        {"MessageSid": "SM" + "0" * 100},
        {"MessageSid": "SM\x00" + "0" * 30},
        {"From": "+45" + "2" * 40},
        {"From": "+4520\x0012345"},
    ],
)
def test_a_reply_no_phone_could_send_is_logged_and_ignored(sms, caplog, change):
    params = {**inbound_params("+4520990001", "JA"), **change}
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        response = post_signed(sms, "/sms/inbound", params)
    # Answered as a success with nothing to say: Twilio would otherwise retry for hours.
    assert response.status_code == 200
    assert ET.fromstring(response.get_data(as_text=True)).findall("Message") == []
    assert "Ignored POST /sms/inbound" in caplog.text
    assert db.session.scalars(select(InboundMessage)).all() == []
