"""POST /api/v1/sessions/<id>/bookings and DELETE /api/v1/bookings/<id> for partner systems."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import ApiToken, Booking, Consent, Participant
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.conftest import DEFAULT_NOW
from tests.query_count import counted_statements


@pytest.fixture
def bearer(app):
    def make(role: str = "host") -> dict[str, str]:
        _token, raw = create_api_token(db.session, f"Partner {role}", role, DEFAULT_NOW, CLI)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return make


PERSON = {"name": "Hodan", "phone": "20 33 44 55", "language": "so", "channel": "sundhedsformidler",
          "wants_company": True, "sms_consent": True}  # fmt: skip


def test_booking_on_someones_behalf(client, bookable, bearer):
    session = bookable(capacity=3)
    response = client.post(f"/api/v1/sessions/{session.id}/bookings", json=PERSON, headers=bearer())
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed" and body["position"] is None
    booking = db.session.get(Booking, body["id"])
    assert booking.source == "api" and booking.wants_company
    assert (
        booking.participant.channel == "sundhedsformidler" and booking.participant.language == "so"
    )
    consent = db.session.scalar(select(Consent))
    assert consent.recorded_by_token_id == booking.created_by_token_id is not None
    # The token's "last used" is written inside the writing request, not beside it.
    assert db.session.get(ApiToken, booking.created_by_token_id).last_used_at is not None


def test_the_same_person_again_gets_the_same_booking(client, bookable, bearer):
    session = bookable(capacity=3)
    headers = bearer()
    first = client.post(f"/api/v1/sessions/{session.id}/bookings", json=PERSON, headers=headers)
    again = client.post(f"/api/v1/sessions/{session.id}/bookings", json=PERSON, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]


def test_waitlisted_with_position_and_full_is_409(client, bookable, bearer):
    headers = bearer()
    session = bookable(capacity=1)
    client.post(f"/api/v1/sessions/{session.id}/bookings", json={"name": "A"}, headers=headers)
    waiting = client.post(
        f"/api/v1/sessions/{session.id}/bookings", json={"name": "B"}, headers=headers
    )
    assert waiting.get_json()["status"] == "waitlisted" and waiting.get_json()["position"] == 1
    closed = bookable(capacity=1, waitlist=False)
    client.post(f"/api/v1/sessions/{closed.id}/bookings", json={"name": "A"}, headers=headers)
    full = client.post(
        f"/api/v1/sessions/{closed.id}/bookings", json={"name": "B"}, headers=headers
    )
    assert full.status_code == 409 and full.get_json()["code"] == "full"


def test_a_full_session_refuses_newcomers_without_writing_and_gives_a_booking_back(
    client, bookable, bearer
):
    headers = bearer()
    closed = bookable(capacity=1, waitlist=False)
    url = f"/api/v1/sessions/{closed.id}/bookings"
    booked = client.post(url, json=PERSON, headers=headers)
    elsewhere = bookable(capacity=3)
    known = {"name": "Known", "phone": "20 77 88 99"}
    # A person the house knows (booked on another session), with no booking on this one.
    other = client.post(f"/api/v1/sessions/{elsewhere.id}/bookings", json=known, headers=headers)
    assert other.status_code == 201
    people = db.session.scalar(select(func.count()).select_from(Participant))

    with counted_statements() as statements:
        newcomer = client.post(url, json={"name": "Newcomer"}, headers=headers)
        known_again = client.post(
            url, json={"name": "Known", "phone": "20 77 88 99"}, headers=headers
        )
    assert newcomer.status_code == known_again.status_code == 409
    assert newcomer.get_json()["code"] == known_again.get_json()["code"] == "full"
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert db.session.scalar(select(func.count()).select_from(Participant)) == people

    # Asking again for someone who has the seat still gives it back, full or not.
    again = client.post(url, json=PERSON, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == booked.get_json()["id"]


def _vaccination(bookable):
    return bookable(
        capacity=3, category="health", sensitive=True, title={"da": "Pop-up vaccination"}
    )


def test_a_health_appointment_needs_the_health_consent(client, bookable, bearer):
    session = _vaccination(bookable)
    url = f"/api/v1/sessions/{session.id}/bookings"

    refused = client.post(url, json=PERSON, headers=bearer())

    assert refused.status_code == 422
    assert refused.get_json()["code"] == "invalid"
    assert set(refused.get_json()["fields"]) == {"health_consent"}
    assert db.session.scalar(select(Booking)) is None
    assert db.session.scalar(select(Consent)) is None  # nothing recorded of the person
    not_boolean = client.post(url, json={**PERSON, "health_consent": "yes"}, headers=bearer())
    assert not_boolean.status_code == 422


def test_the_health_consent_is_recorded_on_the_persons_behalf(client, bookable, bearer):
    session = _vaccination(bookable)
    response = client.post(
        f"/api/v1/sessions/{session.id}/bookings",
        json={**PERSON, "health_consent": True},
        headers=bearer(),
    )
    assert response.status_code == 201
    booking = db.session.scalar(select(Booking))  # a host token is not told the id
    kinds = db.session.execute(select(Consent.kind, Consent.recorded_by_token_id)).all()
    assert sorted(kinds) == [
        ("health", booking.created_by_token_id),
        ("sms", booking.created_by_token_id),
    ]


def test_invalid_fields_are_listed(client, bookable, bearer):
    session = bookable()
    bad = {"name": "", "phone": "123", "language": "xx", "channel": "tv", "wants_company": "yes"}
    response = client.post(f"/api/v1/sessions/{session.id}/bookings", json=bad, headers=bearer())
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"name", "phone", "language", "channel", "wants_company"}


def test_not_json_is_invalid(client, bookable, bearer):
    session = bookable()
    response = client.post(
        f"/api/v1/sessions/{session.id}/bookings", data="name=x", headers=bearer()
    )
    assert response.status_code == 422


def test_tokens_are_needed_and_partners_may_not_book(client, bookable, bearer):
    session = bookable()
    assert client.post(f"/api/v1/sessions/{session.id}/bookings", json=PERSON).status_code == 401
    partner = client.post(
        f"/api/v1/sessions/{session.id}/bookings", json=PERSON, headers=bearer("partner")
    )
    assert partner.status_code == 403


def test_deleting_a_booking_frees_the_seat(client, bookable, bearer):
    headers = bearer()
    session = bookable(capacity=1)
    booking_id = client.post(
        f"/api/v1/sessions/{session.id}/bookings", json=PERSON, headers=headers
    ).get_json()["id"]
    assert client.delete(f"/api/v1/bookings/{booking_id}", headers=headers).status_code == 204
    db.session.refresh(session)
    assert session.seats_taken == 0
    assert client.delete("/api/v1/bookings/999999", headers=headers).status_code == 404


def test_an_unknown_session_is_404(client, bearer):
    response = client.post("/api/v1/sessions/999999/bookings", json=PERSON, headers=bearer())
    assert response.status_code == 404
