"""Who may change a person's number, and who may learn who booked a health appointment."""

from __future__ import annotations

from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import AuditEvent, Booking, OutboundMessage, Participant
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.signup import services
from tests.signup.conftest import NOW
from tests.staff_fixtures import post_form


def _vaccination(bookable):
    return bookable(capacity=5, category="health", sensitive=True, title={"da": "Vaccination"})


def _bearer(role: str) -> dict[str, str]:
    _token, raw = create_api_token(db.session, f"Partner {role}", role, NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _book_on_page(client, session, **data):
    page = f"/staff/sessions/{session.id}/bookings"
    return post_form(client, page, language="da", channel="other", **data)


# ---------------------------------------------------------------- a known person's number


def test_a_host_cannot_give_someone_the_house_knows_the_hosts_own_number(
    client, signed_in, bookable, make_person
):
    signed_in("host")
    vaccinated = make_person("Sahra", phone=None, health=True)
    session = bookable(capacity=5)
    db.session.commit()

    response = _book_on_page(
        client, session, participant_id=str(vaccinated.id), phone="20 11 22 33"
    )

    assert response.status_code == 400
    assert "Kun en leder" in response.get_data(as_text=True)
    db.session.refresh(vaccinated)
    assert vaccinated.phone is None
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_a_manager_may_add_a_number_to_someone_without_one_and_it_is_audited(
    client, signed_in, bookable, make_person
):
    manager = signed_in("manager")
    person = make_person("Sahra", phone=None)
    session = bookable(capacity=5)
    db.session.commit()

    response = _book_on_page(client, session, participant_id=str(person.id), phone="20 11 22 33")

    assert response.status_code == 302
    db.session.refresh(person)
    assert person.phone == "+4520112233"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "participant.phone_added")
    )
    assert event.actor_user_id == manager.id and event.target_id == str(person.id)


def test_a_number_of_someone_else_is_never_moved_to_another_person(
    client, signed_in, bookable, make_person
):
    signed_in("manager")
    make_person("Amina", phone="+4520112233")
    other = make_person("Sahra", phone=None)
    session = bookable(capacity=5)
    db.session.commit()

    response = _book_on_page(client, session, participant_id=str(other.id), phone="20 11 22 33")

    assert response.status_code == 400
    assert db.session.get(Participant, other.id).phone is None


def test_a_number_is_not_changed_through_a_sign_up_even_by_a_manager(
    client, signed_in, bookable, make_person
):
    signed_in("manager")
    person = make_person("Sahra", phone="+4520998877")
    session = bookable(capacity=5)
    db.session.commit()

    response = _book_on_page(client, session, participant_id=str(person.id), phone="20 11 22 33")

    assert response.status_code == 400
    assert db.session.get(Participant, person.id).phone == "+4520998877"


# ---------------------------------------------------------------- health appointments


def test_a_host_cannot_tell_from_the_answer_that_someone_had_booked_a_health_appointment(
    client, signed_in, bookable, make_person
):
    signed_in("host")
    session = _vaccination(bookable)
    booked, fresh = make_person("Sahra"), make_person("Leila")
    db.session.commit()
    page = f"/staff/sessions/{session.id}/bookings"
    _book_on_page(client, session, participant_id=str(booked.id), health_consent="y")
    client.get(page)  # the first answer is read and gone

    def said(person) -> str:
        response = _book_on_page(client, session, participant_id=str(person.id), health_consent="y")
        html = client.get(response.location).get_data(as_text=True)
        return html.split('<div class="flashes"', 1)[-1].split("</div>", 1)[0]

    again, first_time = said(booked), said(fresh)

    assert again == first_time
    assert "allerede" not in again


def test_an_api_caller_below_manager_gets_no_booking_id_for_a_health_appointment(client, bookable):
    session = _vaccination(bookable)
    person = {"name": "Sahra", "phone": "20 33 44 55", "health_consent": True}
    url = f"/api/v1/sessions/{session.id}/bookings"

    first = client.post(url, json=person, headers=_bearer("host"))
    again = client.post(url, json=person, headers=_bearer("host"))
    managers = client.post(url, json=person, headers=_bearer("manager"))

    assert first.status_code == again.status_code == 201
    assert (
        first.get_json()
        == again.get_json()
        == {"id": None, "status": "confirmed", "position": None, "guests": 0}
    )
    assert managers.get_json()["id"] == db.session.scalar(select(Booking.id))


def test_a_full_health_appointment_tells_a_host_nothing_about_who_had_booked(client, bookable):
    session = bookable(capacity=1, category="health", sensitive=True, title={"da": "Vaccination"})
    url = f"/api/v1/sessions/{session.id}/bookings"
    sahra = {"name": "Sahra", "phone": "20 33 44 55", "health_consent": True}
    client.post(url, json=sahra, headers=_bearer("manager"))  # the one seat is hers
    host = _bearer("host")

    again = client.post(url, json=sahra, headers=host)
    new = client.post(url, json={**sahra, "name": "Leila", "phone": "20 33 44 66"}, headers=host)

    # Her own status ("confirmed" in a full session) would tell: both hear what a new
    # booking gets, the first place on the waiting list.
    expected = {"id": None, "status": "waitlisted", "position": 1, "guests": 0}
    assert again.status_code == new.status_code == 201
    assert again.get_json() == new.get_json() == expected
    statuses = db.session.scalars(select(Booking.status).order_by(Booking.id)).all()
    assert statuses == ["confirmed", "waitlisted"]  # Sahra's seat is untouched


def test_without_a_waiting_list_a_host_hears_full_for_someone_booked_too(client, bookable):
    session = bookable(
        capacity=1, waitlist=False, category="health", sensitive=True, title={"da": "Vaccination"}
    )
    url = f"/api/v1/sessions/{session.id}/bookings"
    sahra = {"name": "Sahra", "phone": "20 33 44 55", "health_consent": True}
    client.post(url, json=sahra, headers=_bearer("manager"))
    host = _bearer("host")

    again = client.post(url, json=sahra, headers=host)
    new = client.post(url, json={**sahra, "name": "Leila", "phone": "20 33 44 66"}, headers=host)

    assert again.status_code == new.status_code == 409
    assert again.get_json() == new.get_json()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_on_the_staff_page_a_host_hears_the_same_of_a_full_health_appointment(
    client, signed_in, bookable, make_person
):
    session = bookable(capacity=1, category="health", sensitive=True, title={"da": "Vaccination"})
    booked, fresh = make_person("Sahra", health=True), make_person("Leila")
    services.book(
        db.session,
        session,
        booked,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    db.session.commit()
    signed_in("host")
    page = f"/staff/sessions/{session.id}/bookings"

    def said(person) -> str:
        response = _book_on_page(client, session, participant_id=str(person.id), health_consent="y")
        html = client.get(response.location).get_data(as_text=True)
        return html.split('<div class="flashes"', 1)[-1].split("</div>", 1)[0]

    client.get(page)
    again, first_time = said(booked), said(fresh)

    assert again == first_time
    assert "ventelisten som nummer 1" in again


def test_only_a_manager_token_may_cancel_a_health_appointment(client, bookable, make_person):
    session = _vaccination(bookable)
    person = {"name": "Sahra", "phone": "20 33 44 55", "health_consent": True}
    client.post(f"/api/v1/sessions/{session.id}/bookings", json=person, headers=_bearer("manager"))
    booking_id = db.session.scalar(select(Booking.id))

    refused = client.delete(f"/api/v1/bookings/{booking_id}", headers=_bearer("host"))
    allowed = client.delete(f"/api/v1/bookings/{booking_id}", headers=_bearer("manager"))

    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    assert allowed.status_code == 204
    assert db.session.scalar(select(Booking.status)) == "cancelled"


def test_how_many_booked_a_health_appointment_is_not_told(client, bookable, make_person):
    session = _vaccination(bookable)
    sessions = client.get(
        "/api/v1/sessions", query_string={"from": "2026-12-01", "to": "2026-12-31"}
    ).get_json()
    (found,) = [s for s in sessions if s["id"] == session.id]
    assert found["seats_left"] is None and found["capacity"] == 5
    page = client.get(f"/sessions/{session.id}?lang=en").get_data(as_text=True)
    assert "Times available" in page and "seats left" not in page
