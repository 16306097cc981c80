"""Booking rules: seats, the waiting list, cancelling and promotion, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Booking, OutboundMessage
from havehus.people.audit import CLI, Actor
from havehus.people.services import create_staff_user
from havehus.program.services import read_versions
from havehus.signup import seats as signup_seats
from havehus.signup import services
from havehus.signup.sign_up import Person, SignUp, sign_up
from tests.factories import number_key
from tests.signup.conftest import NOW

PUBLIC = Actor("public")


def _book(session, person, **kwargs):
    result = services.book(
        db.session,
        session,
        person,
        NOW,
        PUBLIC,
        source="web",
        settings=current_settings(),
        **kwargs,
    )
    db.session.commit()
    return result


def test_seats_are_confirmed_until_full_then_the_waiting_list_fills(any_app, bookable, make_person):
    session = bookable(capacity=2)
    results = [_book(session, make_person()) for _ in range(4)]
    assert [r.booking.status for r in results] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert [r.position for r in results] == [None, None, 1, 2]
    db.session.refresh(session)
    assert session.seats_taken == 2 and session.seats_left == 0


def test_without_a_waiting_list_a_full_session_says_full(any_app, bookable, make_person):
    session = bookable(capacity=1, waitlist=False)
    _book(session, make_person())
    with pytest.raises(HavehusError) as excinfo:
        _book(session, make_person())
    assert excinfo.value.code == "full"
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Booking)) == 1


def test_the_same_person_twice_gets_the_same_booking(any_app, bookable, make_person):
    session = bookable(capacity=3)
    person = make_person()
    first = _book(session, person)
    second = _book(session, person)
    assert second.booking.id == first.booking.id and not second.created
    db.session.refresh(session)
    assert session.seats_taken == 1


def test_cancelling_promotes_the_first_on_the_waiting_list_and_texts_them(
    any_app, bookable, make_person
):
    session = bookable(capacity=1)
    seated = _book(session, make_person())
    first = _book(session, make_person("Fatima"))
    second = _book(session, make_person("Hodan"))

    promoted = services.cancel(db.session, seated.booking, NOW, PUBLIC, current_settings())
    db.session.commit()

    assert promoted.id == first.booking.id and promoted.status == "confirmed"
    assert signup_seats.waitlist_position(db.session, second.booking) == 1
    db.session.refresh(session)
    assert session.seats_taken == 1
    text = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.kind == "waitlist-promotion")
    )
    assert text.booking_id == first.booking.id and "/bookings/" in text.body
    assert text.to_phone == first.booking.participant.phone
    # "A seat is free for you, reply NEJ if you can't" (issue 8).
    assert 'svar "NEJ"' in text.body


def test_cancelling_twice_changes_nothing(any_app, bookable, make_person):
    session = bookable(capacity=2)
    result = _book(session, make_person())
    services.cancel(db.session, result.booking, NOW, PUBLIC, current_settings())
    assert services.cancel(db.session, result.booking, NOW, PUBLIC, current_settings()) is None
    db.session.commit()
    db.session.refresh(session)
    assert session.seats_taken == 0


def test_a_cancelled_person_can_sign_up_again(any_app, bookable, make_person):
    session = bookable(capacity=2)
    person = make_person()
    result = _book(session, person)
    services.cancel(db.session, result.booking, NOW, PUBLIC, current_settings())
    again = _book(session, person)
    assert again.booking.id == result.booking.id and again.booking.status == "confirmed"


def test_a_held_offer_waits_for_an_answer_then_passes_on(any_app, bookable, make_person):
    session = bookable(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated = _book(session, make_person())
    first = _book(session, make_person())
    second = _book(session, make_person())
    offered = services.cancel(db.session, seated.booking, NOW, PUBLIC, current_settings())
    assert offered.status == "offered"
    assert offered.offered_until == NOW + timedelta(hours=12)

    assert (
        signup_seats.expire_offers(db.session, NOW + timedelta(hours=11), current_settings()) == 0
    )
    assert (
        signup_seats.expire_offers(db.session, NOW + timedelta(hours=12), current_settings()) == 1
    )
    db.session.commit()
    db.session.refresh(first.booking)
    db.session.refresh(second.booking)
    assert first.booking.status == "cancelled"
    assert second.booking.status == "offered"


def test_an_offer_taken_in_time_becomes_a_seat(any_app, bookable, make_person):
    session = bookable(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated = _book(session, make_person())
    waiting = _book(session, make_person())
    services.cancel(db.session, seated.booking, NOW, PUBLIC, current_settings())
    assert signup_seats.accept_offer(
        db.session, waiting.booking, NOW + timedelta(hours=1), current_settings()
    )
    assert waiting.booking.status == "confirmed"
    assert not signup_seats.accept_offer(
        db.session, waiting.booking, NOW + timedelta(hours=2), current_settings()
    )


def test_less_than_a_day_before_the_start_a_freed_seat_is_given_at_once(
    any_app, bookable, make_person, make_session
):
    session = bookable(capacity=1, offer_policy="hold", offer_hold_hours=12)
    seated = _book(session, make_person())
    waiting = _book(session, make_person())
    late = session.starts_at - timedelta(hours=20)
    promoted = services.cancel(db.session, seated.booking, late, PUBLIC, current_settings())
    assert promoted.id == waiting.booking.id and promoted.status == "confirmed"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "cancelled"}, "cancelled"),
        ({"starts_at_offset": timedelta(hours=-1)}, "started"),
        ({"starts_at_offset": timedelta(minutes=50)}, "closed"),
    ],
)
def test_sessions_that_cannot_be_booked_say_why(any_app, bookable, make_person, change, code):
    session = bookable()
    if "status" in change:
        session.status = change["status"]
    else:
        session.starts_at = NOW + change["starts_at_offset"]
        session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    with pytest.raises(HavehusError) as excinfo:
        _book(session, make_person())
    assert excinfo.value.code == code


def test_staff_may_book_after_public_sign_up_closed_and_may_overbook(
    any_app, bookable, make_person
):
    session = bookable(capacity=1, waitlist=False)
    session.starts_at = NOW + timedelta(minutes=30)
    session.ends_at = session.starts_at + timedelta(hours=2)
    manager = create_staff_user(db.session, "m@havehus.example", "manager", None, NOW)
    db.session.commit()
    staff = Actor("user", manager.id)
    services.book(
        db.session, session, make_person(), NOW, staff, source="staff", settings=current_settings()
    )
    extra = services.book(
        db.session,
        session,
        make_person(),
        NOW,
        staff,
        source="staff",
        overbook=True,
        settings=current_settings(),
    )
    db.session.commit()
    assert extra.booking.status == "confirmed"
    db.session.refresh(session)
    assert session.seats_taken == 2


def test_drop_in_sessions_need_no_booking(any_app, make_activity, make_session, make_person):
    session = make_session(make_activity(mode="drop_in"), NOW + timedelta(days=1))
    with pytest.raises(HavehusError) as excinfo:
        _book(session, make_person())
    assert excinfo.value.code == "drop_in"


def test_a_confirmation_text_needs_consent_and_respects_stop(any_app, bookable, make_person):
    from havehus.models import OptOut

    session = bookable(capacity=5)
    _book(session, make_person(consent=True))
    _book(session, make_person(consent=False))
    stopped = make_person(consent=True)
    db.session.add(OptOut(phone_hash=number_key(stopped.phone), opted_out_at=NOW, source="sms"))
    _book(session, stopped)
    texts = db.session.scalars(select(OutboundMessage.kind)).all()
    assert texts == ["confirmation"]


@pytest.mark.parametrize("source", ["web", "kiosk", "staff", "api", "sms"])
def test_no_door_books_a_health_appointment_without_the_health_consent(
    any_app, bookable, make_person, source
):
    session = bookable(capacity=2, category="health", sensitive=True)
    person = make_person(health=True)  # agreed once before: each booking asks again
    request = SignUp(person=Person(participant_id=person.id), source=source)
    with pytest.raises(HavehusError) as refused:
        sign_up(db.session, session, request, NOW, CLI, current_settings())
    assert refused.value.code == "consent_required"
    assert "health_consent" in refused.value.fields
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    db.session.refresh(session)
    assert session.seats_taken == 0


def test_sensitive_activities_are_texted_by_their_neutral_name(any_app, bookable, make_person):
    session = bookable(
        capacity=2,
        category="health",
        title={"da": "Pop-up vaccination"},
        neutral_title={"da": "Aftale i Havehuset"},
        sensitive=True,
    )
    _book(session, make_person(health=True))
    body = db.session.scalar(select(OutboundMessage.body))
    assert "Aftale i Havehuset" in body and "vaccination" not in body.lower()


def test_bookings_and_cancellations_move_the_seats_version_not_the_program_version(
    any_app, bookable, make_person
):
    session = bookable(capacity=1)
    start = read_versions(db.session)
    first = _book(session, make_person())
    booked = read_versions(db.session)
    _book(session, make_person())  # the waiting list
    waiting = read_versions(db.session)
    services.cancel(db.session, first.booking, NOW, PUBLIC, current_settings())  # promotes
    db.session.commit()
    cancelled = read_versions(db.session)

    assert booked.program == waiting.program == cancelled.program == start.program
    assert start.seats < booked.seats < waiting.seats < cancelled.seats
    assert cancelled.seats_changed_at == NOW
