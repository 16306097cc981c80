"""A small house like the demo one, for the hostile-input sweep: every route finds real rows.

Some rows hold what older versions let in — line breaks, a bare CR and other control
characters in titles, notes, places and names, markup in a title — so the sweep also proves
that pages escape and feeds stay valid whatever the database already holds.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from havehus.config import current_settings, settings_of
from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token
from havehus.models import (
    Activity,
    Closure,
    Contact,
    InboundMessage,
    Location,
    OutboundMessage,
    RegisterIndicator,
    Room,
    Session,
    StaffUser,
    Target,
    TranslationReview,
)
from havehus.operations.heartbeat import beat
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token, enrol_kiosk
from havehus.people.services import create_staff_user, invite_user
from havehus.program.check_in_link import check_in_code
from havehus.program.services import bump_program_version, expand_horizon
from havehus.signup import remind_me, services
from havehus.signup import tokens as signup_tokens
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant
from tests.hostile.corpus import MARKUP
from tests.hostile.sweep import World
from tests.staff_fixtures import PASSWORD

NOW = DEFAULT_NOW
#: Role → the e-mail of the staff user the sweep signs in as.
STAFF = {"host": "host@havehus.example", "manager": "manager@havehus.example"}

#: What older versions let into text columns; NUL only where the database can store it.
LEGACY_TITLE = "Gammel\r\nX-INJECTED:1 titel\rBEGIN:VEVENT\x0b\x1b " + MARKUP[0]
LEGACY_LINE = "Salen\rX-INJECTED:1\x07"


def _activity(slug: str, title: dict[str, str], **fields: object) -> Activity:
    defaults: dict[str, object] = {
        "category": "food",
        "mode": "drop_in",
        "rrule": "FREQ=WEEKLY;BYDAY=TH",
        "starts_on": NOW.date() - timedelta(weeks=3),
        "start_time": time(17),
        "duration_minutes": 120,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Activity(slug=slug, title=title, **{**defaults, **fields})


def build_world(app: Flask) -> World:
    """Seed the house; return the real values of each path parameter, the usual one first."""
    tz = ZoneInfo(settings_of(app).timezone)
    on_postgres = db.engine.dialect.name == "postgresql"
    nul = "" if on_postgres else "\x00"
    house = Location(
        slug="havehuset", name="Havehuset", address="Æblehaven 12", latitude=55.7, longitude=12.5
    )
    old_place = Location(slug="gammel", name=LEGACY_LINE, address="Vej\r\n1" + nul)
    hall = Room(location=house, name="Salen")
    odd_room = Room(location=old_place, name="Rum\n2")
    create_staff_user(db.session, STAFF["manager"], "manager", PASSWORD, NOW, name="Mette")
    host = create_staff_user(db.session, STAFF["host"], "host", PASSWORD, NOW, name="Yusuf")
    other = create_staff_user(db.session, "other@havehus.example", "host", PASSWORD, NOW)
    db.session.add_all([house, old_place, hall, odd_room])
    cafe = _activity(
        "strikkecafe",
        {"da": "Strikkecafé", "en": "Knitting café"},
        category="crafts",
        location=house,
        room=hall,
        summary={"da": "Kom og strik. " + MARKUP[1]},
    )
    dinner = _activity(
        "sammen-om-maden",
        {"da": "Sammen om maden"},
        price_text={"da": MARKUP[2]},
        mode="signup",
        capacity=12,
        location=house,
        rrule="FREQ=WEEKLY;BYDAY=WE",
    )
    course = _activity(
        "dansk-kursus",
        {"da": "Dansk for begyndere"},
        category="language",
        mode="enrolment",
        capacity=10,
        location=house,
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        starts_on=NOW.date() + timedelta(days=5),
    )
    health = _activity(
        "sundhedstjek",
        {"da": "Sundhedstjek"},
        neutral_title={"da": "Aftale i huset"},
        category="health",
        mode="signup",
        capacity=6,
        sensitive=True,
        location=house,
    )
    partners = _activity(
        "netvaerk", {"da": "Netværksmøde"}, category="meeting", visibility="partners"
    )
    legacy = _activity(
        "gammel-titel",
        {"da": LEGACY_TITLE + nul, "en": MARKUP[0]},
        summary={"da": "Linje\rX-INJECTED:1\x0c" + nul},
        price_text={"da": "20 kr\r\nX-INJECTED:1"},
        location=old_place,
        room=odd_room,
        category="other",
        mode="signup",
        capacity=8,
    )
    cafe.hosts.append(host)
    db.session.add_all([cafe, dinner, course, health, partners, legacy])
    db.session.flush()
    expand_horizon(db.session, 6, NOW, tz)
    db.session.add(
        Closure(
            starts_on=date(2026, 12, 24),
            ends_on=date(2027, 1, 1),
            reason={"da": "Juleferie\r\nX-INJECTED:1"},
            created_at=NOW,
        )
    )

    coming = [s for s in dinner.sessions if s.starts_at > NOW]
    legacy_sessions = [s for s in legacy.sessions if s.starts_at > NOW]
    legacy_sessions[0].note = {"da": "Husk\rBEGIN:VEVENT" + nul}
    legacy_sessions[1].status = "cancelled"
    legacy_sessions[1].cancel_reason = "Storm\r\nX-INJECTED:1\x07"
    fatima = add_participant("Fatima", at=NOW, staff_note="Ringer\r\nfør" + nul)
    omar = add_participant(MARKUP[0], at=NOW)
    services.book(
        db.session,
        coming[0],
        fatima,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    booked = services.book(
        db.session,
        legacy_sessions[0],
        fatima,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    ).booking
    services.book(
        db.session,
        coming[0],
        omar,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    # A seat offered from the waiting list: its page asks to take it.
    offered = add_booking(
        legacy_sessions[2], omar, "offered", at=NOW, offered_until=NOW + timedelta(hours=12)
    )
    omar.erasure_requested_at = NOW
    cafe_session = next(s for s in cafe.sessions if s.starts_at > NOW)
    reminder = remind_me.ask(db.session, fatima, cafe_session, NOW)

    _invited, invite = invite_user(db.session, "invited@havehus.example", "host", NOW, CLI)
    other_token, _raw = create_api_token(db.session, "Other", "partner", NOW, CLI)
    device, _raw = enrol_kiosk(db.session, "Tablet", None, NOW, CLI)
    partner_token, partner_feed = create_feed_token(
        db.session, "partner", NOW, name="Kommunen", language="da"
    )
    partner_token.name = "Kommunen\r\nX-INJECTED:1"
    _feed, personal_feed = create_feed_token(
        db.session, "personal", NOW, name="", language="da", participant_id=fatima.id
    )
    text = OutboundMessage(
        to_phone=fatima.phone or "",
        participant_id=fatima.id,
        language="da",
        body="Husk i morgen\r\n" + nul,
        kind="reminder",
        send_after=NOW,
        status="sent",
        attempts=1,
        provider_sid="SM" + "0" * 32,
        created_at=NOW,
    )
    reply = InboundMessage(
        from_phone=fatima.phone or "",
        body="JA\r\n" + MARKUP[1] + nul,
        provider_sid="SM" + "1" * 32,
        received_at=NOW,
        interpreted_as="other",
        participant_id=fatima.id,
    )
    db.session.add_all([text, reply])
    target = Target(
        year=2026, measure="visits", comparison=">=", amount=100, created_at=NOW, updated_at=NOW
    )
    indicator = RegisterIndicator(
        sub_goal="Delmål 1\r\nX-INJECTED:1",
        name="Besøg " + MARKUP[0],
        kind="external",
        direction="rise",
        created_at=NOW,
        updated_at=NOW,
    )
    contact = Contact(
        key="hostile-world-contact-0001",
        at=NOW,
        participant_id=fatima.id,
        count=1,
        channel="friend",
    )
    suggestion = TranslationReview(
        language="ar",
        msgid="Thank you for your message. Someone from %(site)s will read it.",
        verdict="needs-change",
        suggestion="شكرا " + MARKUP[0] + " %(site)s",
        created_at=NOW,
    )
    db.session.add_all([target, indicator, contact, suggestion])
    beat(db.session, "sweep-worker:1", NOW, starting=True)  # a worker runs: /healthz/worker is 200
    tokens = (
        signup_tokens.booking_token(booked, current_settings()),
        signup_tokens.booking_token(offered, current_settings()),
    )
    bump_program_version(db.session, NOW)
    db.session.commit()
    closure = db.session.scalar(select(Closure.id))
    values: dict[str, str | tuple[str, ...]] = {
        "activity_id": str(dinner.id),
        "booking": tokens,
        "booking_id": str(booked.id),
        "category": "food",
        "closure_id": str(closure),
        # The QR code of the first session the sweep uses (a wrong one is a 404, also swept).
        "code": check_in_code(legacy_sessions[0].id, current_settings().secret_key),
        "contact_id": str(contact.id),
        "indicator_id": str(indicator.id),
        "target_id": str(target.id),
        "year": "2026",
        "device_id": str(device.id),
        "feed_id": str(partner_token.id),
        # A participant's record: JSON (the PDF is the same data, and slower to make).
        "fmt": "json",
        "invite": invite,
        "message_id": str(text.id),
        "name": "0" * 32 + ".jpg",
        "participant_id": str(omar.id),
        "partner_feed": partner_feed,
        "personal_feed": personal_feed,
        "reply_id": str(reply.id),
        "review_id": str(suggestion.id),
        "decision": ("accept", "decline"),
        "request_id": str(reminder.id),
        # The activity and session whose texts hold what older versions let in: their pages
        # and feeds must show them harmlessly (the planner's forms use the clean dinner). A
        # page that has nothing for it takes the next: a cancelled session (reinstate), a
        # drop-in one ("remind me").
        "session_id": tuple(str(s.id) for s in (*legacy_sessions[:2], cafe_session)),
        "slug": legacy.slug,
        "token_id": str(other_token.id),
        "user_id": str(other.id),
        "week": "2026-W49",
    }
    return {k: v if isinstance(v, tuple) else (v,) for k, v in values.items()}


def staff_user(email: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    assert user is not None
    return user


def session_of(session_id: str) -> Session:
    found = db.session.get(Session, int(session_id))
    assert found is not None
    return found
