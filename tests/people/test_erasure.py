"""Erasure keeps the counts: a person is gone from every table, their visits still count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging import outgoing
from havehus.models import (
    AuditEvent,
    Booking,
    FeedToken,
    FollowUp,
    InboundMessage,
    OutboundMessage,
    SignupChallenge,
    Tally,
    Visit,
)
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.people.erasure import ERASED, NOT_PERSONAL
from havehus.signup import me, staff
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant
from tests.privacy_scan import places_holding, text_columns

NOW = DEFAULT_NOW
NAME, PHONE = "Zainab Quraishi", "+4520777111"


def test_every_column_that_can_hold_text_is_declared_erased_or_not_personal(any_app):
    """A new string, text or JSON column fails here until someone decides what erasure does
    with it (havehus/people/erasure.py)."""
    columns = {f"{column.table.name}.{column.name}" for column in text_columns()}
    unclassified = columns - set(ERASED) - set(NOT_PERSONAL)
    assert unclassified == set(), f"declare these in havehus/people/erasure.py: {unclassified}"
    assert set(ERASED) & set(NOT_PERSONAL) == set()
    assert (set(ERASED) | set(NOT_PERSONAL)) - columns == set(), "declared but not in the schema"


def _a_full_life(session, later, manager) -> None:
    """Zainab as the house knows her after a season: every place a name or number can be."""
    zainab = add_participant(
        NAME, phone=PHONE, at=NOW - timedelta(days=30), staff_note=f"{NAME} prefers mornings",
        import_key="f" * 64,
    )  # fmt: skip
    add_booking(session, zainab, "attended", at=NOW, staff_note=f"Ring {PHONE} if late")
    add_booking(later, zainab, "confirmed", at=NOW)
    db.session.add_all(
        [
            OutboundMessage(
                to_phone=PHONE, participant=zainab, language="da", kind="reminder",
                body=f"Hej {NAME}, husk i morgen", send_after=NOW, status="delivered",
                segments=1, created_at=NOW, last_error=f"{PHONE} was slow",
            ),
            OutboundMessage(
                to_phone=PHONE, language="da", kind="broadcast", body="Nyt om haven",
                send_after=NOW + timedelta(days=1), status="pending", created_at=NOW,
                dedupe_key="broadcast:x:1",
            ),
            InboundMessage(
                from_phone=PHONE, participant_id=zainab.id, body=f"Det er {NAME}, jeg kommer",
                received_at=NOW, interpreted_as="other",
            ),
            FollowUp(
                participant=zainab, reason="first_visit", occurrence="2026-12-01", state="texted",
                set_at=NOW,
            ),
            SignupChallenge(
                session=later, display_name=NAME, phone=PHONE, language="da",
                code_hash="0" * 64, ip="10.1.2.3", created_at=NOW,
                expires_at=NOW + timedelta(minutes=10),
            ),
            FeedToken(
                kind="personal", token_hash="e" * 64, participant=zainab, name=NAME,
                created_at=NOW,
            ),
        ]
    )  # fmt: skip
    audit.record(
        db.session, "participant.phone_added", NOW, Actor("user", user_id=manager.id),
        target=zainab, details={"phone": PHONE, "name": NAME, "kept": "yes"},
    )  # fmt: skip
    audit.record(
        db.session, "booking.note", NOW, Actor("user", user_id=manager.id),
        details={"said": f"texted {PHONE}"},
    )  # fmt: skip
    me.request_erasure(db.session, zainab, NOW, "192.0.2.55")
    db.session.commit()


def test_an_erased_person_is_gone_from_every_table_and_the_counts_stay(
    any_app, make_activity, make_session, make_user
):
    manager = make_user("manager")
    cafe = make_activity(mode="signup", capacity=10)
    session = make_session(cafe, NOW - timedelta(days=2))
    later = make_session(cafe, NOW + timedelta(days=5))
    _a_full_life(session, later, manager)
    visits, texts = db.session.scalar(select(func.count()).select_from(Visit)), 2
    assert places_holding(NAME, PHONE, "192.0.2.55")  # she is there to begin with

    [zainab] = staff.erasure_requests(db.session)
    staff.erase_participant(
        db.session, zainab, NOW, Actor("user", user_id=manager.id), current_settings()
    )
    db.session.commit()

    assert places_holding(NAME, PHONE, PHONE[3:], "192.0.2.55", "prefers mornings") == set()
    # The figures do not change: her visit, her bookings and her texts still count.
    assert db.session.scalar(select(func.count()).select_from(Visit)) == visits == 1
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == texts
    assert db.session.scalar(select(func.count()).select_from(Tally)) is not None
    sent, pending = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
    assert (sent.status, sent.segments) == ("delivered", 1)
    assert pending.status == "skipped"  # never sent to a number that is no longer hers
    reply = db.session.scalars(select(InboundMessage)).one()
    assert reply.interpreted_as == "other" and reply.body == ""
    assert db.session.scalars(select(FollowUp)).all() == []
    assert db.session.scalars(select(SignupChallenge)).all() == []
    # The audit keeps who did what, without what it said about her.
    kept = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "participant.phone_added")
    )
    assert kept.details == {"phone": "", "name": "", "kept": "yes"}
    erase = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.erase"))
    assert erase.actor_user_id == manager.id
    assert not outgoing.opted_out(db.session, PHONE, current_settings())  # erasure is not a STOP


def test_erasure_cancels_what_is_still_to_come_and_closes_every_link_to_it(
    client, app, make_activity, make_session, make_user
):
    """A health appointment after the erasure: the seat goes to the next person, the link in
    the old confirmation text opens nothing, and a companion's reminder no longer names her."""
    from havehus.signup import tokens

    manager = make_user("manager")
    vaccination = make_activity(mode="signup", capacity=1, sensitive=True, category="health")
    jab = make_session(vaccination, NOW + timedelta(days=3), minutes=15)
    zainab = add_participant(NAME, at=NOW, phone=PHONE)
    hers = add_booking(jab, zainab, "confirmed", at=NOW)
    waiting = add_booking(jab, add_participant("Next", at=NOW), "waitlisted", at=NOW)
    jab.seats_taken = 1
    link = f"/bookings/{tokens.booking_token(hers, current_settings())}"
    db.session.add(
        OutboundMessage(
            to_phone="+4520999999", language="da", kind="reminder", booking_id=hers.id,
            body=f"Påmindelse: Du går med {NAME} til vaccinationen", send_after=NOW,
            status="delivered", created_at=NOW,
        )
    )  # fmt: skip
    db.session.commit()
    assert client.get(link).status_code == 200

    as_manager = Actor("user", user_id=manager.id, role="manager")
    staff.erase_participant(db.session, zainab, NOW, as_manager, current_settings())
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Booking, hers.id).status == "cancelled"
    assert db.session.get(Booking, waiting.id).status in ("confirmed", "offered")
    assert client.get(link).status_code == 404
    assert places_holding(NAME, PHONE) == set()
