"""One number is one person: races cannot make two, and family come along as guests."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Booking, Participant, Session
from havehus.people.audit import CLI, Actor
from havehus.people.credentials import create_api_token
from havehus.signup import services
from havehus.signup.invariants import seat_drift
from havehus.signup.sign_up import Person, SignUp, sign_up
from tests.factories import add_booking
from tests.signup.conftest import NOW
from tests.signup.test_kiosk import _enrol, _give_name, _type_number
from tests.signup.test_public_signup import _ask_code, _sign_up
from tests.staff_fixtures import post_form

PHONE = "+4520123456"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _bearer() -> dict[str, str]:
    _token, raw = create_api_token(db.session, "Partner", "host", NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _all_at_once(count: int, work) -> list[BaseException]:
    """Run `work(index)` in `count` threads released together; the errors that escaped."""
    barrier = threading.Barrier(count)
    leaks: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # anything that escapes is a bug
            with lock:
                leaks.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return leaks


# ---------------------------------------------------------------- races


@pytest.mark.slow
def test_twenty_api_bookings_with_one_number_at_once_make_one_person(any_app, bookable):
    session = bookable(capacity=3)
    session_id, headers = session.id, _bearer()
    statuses: list[int] = []

    def book(index: int) -> None:
        client = any_app.test_client()
        person = {"name": f"Hodan {index}", "phone": "20 12 34 56"}
        response = client.post(
            f"/api/v1/sessions/{session_id}/bookings", json=person, headers=headers
        )
        statuses.append(response.status_code)

    assert _all_at_once(20, book) == []

    assert statuses == [201] * 20
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Participant.phone == PHONE)) == 1
    assert _count(Booking) == 1
    assert db.session.get(Session, session_id).seats_taken == 1


@pytest.mark.slow
def test_three_codes_for_one_number_confirmed_at_once_make_one_booking(any_app, bookable):
    session = bookable(capacity=5)
    session_id = session.id
    db.session.commit()
    person = Person(name="Fatima", phone=PHONE, language="da", phone_proved=True)
    request = SignUp(person=person, source="web")

    def confirm(_index: int) -> None:
        with any_app.app_context():
            try:
                target = db.session.get(Session, session_id)
                sign_up(db.session, target, request, NOW, Actor("public"), current_settings())
                db.session.commit()
            finally:
                db.session.remove()

    assert _all_at_once(3, confirm) == []

    db.session.expire_all()
    assert _count(Participant) == 1
    assert _count(Booking) == 1
    assert db.session.get(Session, session_id).seats_taken == 1


# ---------------------------------------------------------------- guests


def test_a_family_on_one_phone_books_their_seats_together_on_the_web(client, bookable):
    session = bookable(capacity=5)
    page = client.get(f"/sessions/{session.id}/signup").get_data(as_text=True)
    assert "Et mobilnummer er én person" in page and 'name="guests"' in page

    _sign_up(client, session, guests="2")

    booking = db.session.scalar(select(Booking))
    assert booking.guests == 2 and booking.status == "confirmed"
    db.session.refresh(session)
    assert session.seats_taken == 3


@pytest.mark.parametrize("guests", ["5", "-1", "abc", "99999999999999999999"])
def test_more_guests_than_allowed_or_no_number_is_refused_kindly(client, bookable, guests):
    session = bookable(capacity=20)

    response = _ask_code(client, session, guests=guests)

    assert response.status_code == 400
    assert "Vælg hvor mange" in response.get_data(as_text=True)
    assert _count(Booking) == 0


def test_a_party_that_does_not_fit_waits_and_a_smaller_one_behind_it_moves_up(
    app, bookable, make_person
):
    session = bookable(capacity=3, waitlist=True)
    first, family, single = make_person("Ole"), make_person("Amina"), make_person("Sara")
    actor = Actor("public")
    taken = services.book(
        db.session, session, first, NOW, actor, source="web", guests=1, settings=current_settings()
    )
    assert taken.booking.status == "confirmed"
    party = services.book(
        db.session, session, family, NOW, actor, source="web", guests=2, settings=current_settings()
    )
    alone = services.book(
        db.session, session, single, NOW, actor, source="web", settings=current_settings()
    )
    assert session.seats_taken == 3  # 2 + the single person; the party of 3 waits
    assert party.booking.status == "waitlisted" and alone.booking.status == "confirmed"

    services.cancel(db.session, alone.booking, NOW, actor, current_settings())

    db.session.refresh(party.booking)
    assert party.booking.status == "waitlisted"  # 1 seat free, 3 needed
    services.cancel(db.session, taken.booking, NOW, actor, current_settings())
    db.session.refresh(party.booking)
    assert party.booking.status in ("confirmed", "offered")
    db.session.refresh(session)
    assert session.seats_taken == 3


def test_cancelling_frees_every_seat_of_the_party(app, bookable, make_person):
    session = bookable(capacity=10)
    result = services.book(
        db.session,
        session,
        make_person(),
        NOW,
        Actor("public"),
        source="web",
        guests=4,
        settings=current_settings(),
    )
    assert session.seats_taken == 5

    services.cancel(db.session, result.booking, NOW, Actor("public"), current_settings())

    db.session.refresh(session)
    assert session.seats_taken == 0


def test_the_kiosk_asks_how_many_are_coming(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _type_number(client, session)
    page = client.get(f"/kiosk/sessions/{session.id}/name").get_data(as_text=True)
    assert 'name="guests" type="radio" value="0" checked' in page

    refused = _give_name(client, session, guests="7")
    assert refused.status_code == 400 and "Vælg hvor mange" in refused.get_data(as_text=True)
    assert _give_name(client, session, guests="1").status_code == 302

    assert db.session.scalar(select(Booking.guests)) == 1
    db.session.refresh(session)
    assert session.seats_taken == 2


def test_staff_see_who_comes_along_and_can_book_a_family(client, signed_in, bookable):
    signed_in("host")
    session = bookable(capacity=20)
    db.session.commit()
    page = f"/staff/sessions/{session.id}/bookings"

    response = post_form(client, page, name="Amina", language="da", channel="other", guests="3")

    assert response.status_code == 302
    assert "+3" in client.get(page).get_data(as_text=True)
    db.session.refresh(session)
    assert session.seats_taken == 4


def test_the_api_takes_guests_and_refuses_too_many(client, bookable):
    session = bookable(capacity=20)
    headers = _bearer()
    url = f"/api/v1/sessions/{session.id}/bookings"

    too_many = client.post(url, json={"name": "Hodan", "guests": 5}, headers=headers)
    text = client.post(url, json={"name": "Hodan", "guests": "2"}, headers=headers)
    ok = client.post(url, json={"name": "Hodan", "guests": 2}, headers=headers)

    assert too_many.status_code == text.status_code == 422
    assert "guests" in too_many.get_json()["fields"] and "guests" in text.get_json()["fields"]
    assert ok.status_code == 201 and ok.get_json()["guests"] == 2
    db.session.refresh(session)
    assert session.seats_taken == 3


def test_the_seat_check_counts_guests(app, bookable, make_person):
    session = bookable(capacity=10)
    add_booking(session, make_person(), at=NOW, guests=2)
    db.session.flush()

    assert seat_drift(db.session) == []
    assert session.seats_taken == 3
