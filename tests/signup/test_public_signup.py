"""Signing up from a phone: form, texted code, the booking's page, cancelling by link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import Booking, Consent, OutboundMessage, Participant, SignupChallenge
from tests.staff_fixtures import csrf_from, post_form


def _ask_code(client, session, phone="20 12 34 56", name="Fatima", **extra):
    data = {"name": name, "phone": phone, "language": "da", "sms_consent": "y", **extra}
    return post_form(client, f"/sessions/{session.id}/signup", **data)


def _code_text() -> str:
    body = db.session.scalar(
        select(OutboundMessage.body)
        .where(OutboundMessage.kind == "code")
        .order_by(OutboundMessage.id.desc())
    )
    return re.search(r"\b(\d{6})\b", body).group(1)


def _sign_up(client, session, **kwargs):
    response = _ask_code(client, session, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return post_form(client, "/signup/code", code=_code_text())


def test_signing_up_takes_a_seat_and_shows_the_booking(client, bookable):
    session = bookable(capacity=20)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/sessions/{session.id}/signup"' in page

    response = _sign_up(client, session)
    assert response.status_code == 302
    booking_page = client.get(response.location).get_data(as_text=True)
    assert "Du har en plads!" in booking_page
    assert f"/sessions/{session.id}.ics" in booking_page  # add to calendar
    assert "/cancel" in booking_page
    db.session.refresh(session)
    assert session.seats_taken == 1
    person = db.session.scalar(select(Participant))
    assert person.phone == "+4520123456" and person.display_name == "Fatima"
    consent = db.session.scalar(select(Consent))
    assert consent.kind == "sms" and consent.recorded_by_id is None


def test_the_week_shows_the_seat_count_drop(client, bookable):
    session = bookable(capacity=20)
    week = session.starts_at.strftime("%G-W%V")
    assert "20 pladser tilbage" in client.get(f"/week/{week}").get_data(as_text=True)
    _sign_up(client, session)
    assert "19 pladser tilbage" in client.get(f"/week/{week}").get_data(as_text=True)


def test_cancelling_by_link_asks_first_then_frees_the_seat(client, bookable):
    session = bookable(capacity=20)
    booking_url = _sign_up(client, session).location
    cancel_url = booking_url.split("?")[0] + "/cancel"
    confirm_page = client.get(cancel_url)
    assert confirm_page.status_code == 200 and "Ja, afmeld mig" in confirm_page.get_data(
        as_text=True
    )
    db.session.refresh(session)
    assert session.seats_taken == 1  # a GET (a link preview) cancels nothing
    done = post_form(client, cancel_url)
    assert done.status_code == 302
    db.session.refresh(session)
    assert session.seats_taken == 0
    assert "Din tilmelding er afmeldt" in client.get(done.location).get_data(as_text=True)


def test_signing_up_twice_with_the_same_number_is_recognised(app, client, bookable):
    session = bookable(capacity=20)
    first = _sign_up(client, session).location.split("?")[0]
    again = _sign_up(app.test_client(), session, name="Fatma").location.split("?")[0]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 1
    assert first == again
    db.session.refresh(session)
    assert session.seats_taken == 1


def test_known_and_unknown_numbers_get_the_same_answer(app, client, bookable):
    session = bookable(capacity=20)
    _sign_up(client, session, phone="20 11 11 11")
    known = _ask_code(app.test_client(), session, phone="20 11 11 11")
    unknown = _ask_code(app.test_client(), session, phone="20 22 22 22")
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location


def test_a_full_session_offers_the_waiting_list(client, bookable):
    session = bookable(capacity=1)
    _sign_up(client, session, phone="20 11 11 11")
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Skriv dig på ventelisten" in page
    response = _sign_up(client, session, phone="20 22 22 22")
    booking_page = client.get(response.location).get_data(as_text=True)
    assert "Du er på ventelisten" in booking_page and "nummer 1" in booking_page


def test_a_wrong_code_is_refused_and_five_wrong_codes_end_it(client, bookable):
    session = bookable()
    _ask_code(client, session)
    wrong = post_form(client, "/signup/code", code="000000")
    assert wrong.status_code == 400 and "Koden er forkert" in wrong.get_data(as_text=True)
    for _ in range(4):
        post_form(client, "/signup/code", code="000000")
    right = post_form(client, "/signup/code", code=_code_text())
    assert right.status_code == 400 and "For mange forkerte koder" in right.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("123", "ikke et telefonnummer"),
        ("90 12 34 56", "mobilnummer"),
        ("+46 70 123 45 67", "kun sende"),
    ],
)
def test_unusable_numbers_get_a_clear_message(client, bookable, phone, message):
    session = bookable()
    response = _ask_code(client, session, phone=phone)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="phone-error"' in page
    assert db.session.scalar(select(func.count()).select_from(SignupChallenge)) == 0


def test_too_many_codes_for_one_number_are_refused(app, bookable):
    session = bookable()
    for _ in range(3):
        assert _ask_code(app.test_client(), session).status_code == 302
    fourth = _ask_code(app.test_client(), session)
    assert fourth.status_code == 400 and "Vent en time" in fourth.get_data(as_text=True)


def test_names_are_escaped_and_any_script_is_welcome(client, bookable):
    session = bookable(capacity=5)
    _sign_up(client, session, name="<script>alert(1)</script>", phone="20 11 11 11")
    _sign_up(client, session, name="فاطمة 🌷", phone="20 22 22 22")
    names = set(db.session.scalars(select(Participant.display_name)))
    assert names == {"<script>alert(1)</script>", "فاطمة 🌷"}


def test_a_sensitive_appointment_needs_explicit_consent(client, bookable):
    session = bookable(
        capacity=2, category="health", sensitive=True,
        title={"da": "Pop-up vaccination"}, neutral_title={"da": "Aftale i Havehuset"},
    )  # fmt: skip
    refused = _ask_code(client, session)
    assert refused.status_code == 400 and 'id="health_consent-error"' in refused.get_data(
        as_text=True
    )
    response = _sign_up(client, session, health_consent="y")
    assert response.status_code == 302
    kinds = set(db.session.scalars(select(Consent.kind)))
    assert kinds == {"sms", "health"}


def test_drop_in_sessions_have_no_sign_up_form(client, make_activity, make_session):
    from datetime import timedelta

    from tests.signup.conftest import NOW

    session = make_session(make_activity(mode="drop_in"), NOW + timedelta(days=1))
    db.session.commit()
    page = client.get(f"/sessions/{session.id}/signup").get_data(as_text=True)
    assert (
        "Du behøver ikke tilmelde dig. Bare kom!" in page and "<form" not in page.split("<main")[1]
    )


def test_the_demo_shows_the_code_because_nothing_is_sent(client, bookable):
    session = bookable()
    response = _ask_code(client, session)
    page = client.get(response.location).get_data(as_text=True)
    assert f'Koden er <bdi dir="ltr">{_code_text()}</bdi>' in page


def test_a_booking_link_that_does_not_exist_is_not_found(client):
    assert client.get("/bookings/not-a-real-token").status_code == 404
    assert client.get("/bookings/not-a-real-token/cancel").status_code == 404


def test_the_code_step_without_a_sign_up_goes_home(client):
    response = client.get("/signup/code")
    assert response.status_code == 302
    assert csrf_from  # the helper module is shared with the staff tests


def test_a_500_character_name_gets_a_translated_message(client, bookable):
    session = bookable()
    response = _ask_code(client, session, name="x" * 500)
    assert response.status_code == 400
    assert "Brug højst 120 tegn." in response.get_data(as_text=True)
