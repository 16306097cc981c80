"""POST /api/v1/sessions/<id>/bookings reads its body strictly: a wrong type names the field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import Booking, Participant
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from tests.api.answers import ENGLISH, nested, refused
from tests.conftest import DEFAULT_NOW


@pytest.fixture
def host(app) -> dict[str, str]:
    _token, raw = create_api_token(db.session, "Partner host", "host", DEFAULT_NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}", **ENGLISH}


PERSON = {"name": "Hodan", "phone": "20 33 44 55", "wants_company": True}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"wants_company": "yes"}, "wants_company", "Must be true or false."),
        ({"sms_consent": 1}, "sms_consent", "Must be true or false."),
        ({"health_consent": None}, "health_consent", "Must be true or false."),
        ({"name": ["Hodan"]}, "name", "Required: a first name or nickname."),
        ({"name": "   "}, "name", "Required: a first name or nickname."),
        ({"phone": 20334455}, "phone", "Must be text."),
        ({"language": ["so"]}, "language", "Unknown language."),
        ({"channel": 3}, "channel", "Must be one of: drop-in, sundhedsformidler, "
         "social-henvisning, housing-staff, friend, other."),
        ({"name": "Ho\x00dan"}, "name", "Must not contain control characters."),
        ({"phone": "20 33\x0044 55"}, "phone", "Must not contain control characters."),
    ],
)  # fmt: skip
def test_a_booking_with_a_wrong_type_names_the_field(
    client, bookable, host, change, field, message
):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    response = client.post(url, json={**PERSON, **change}, headers=host)
    assert refused(response, field) == message
    assert db.session.scalar(select(Booking)) is None
    assert db.session.scalar(select(Participant)) is None


def test_consent_to_texts_still_needs_a_phone(client, bookable, host):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    response = client.post(url, json={"name": "Hodan", "sms_consent": True}, headers=host)
    assert refused(response, "sms_consent") == "Consent to text messages needs a phone number."


def test_empty_optional_texts_still_mean_left_out(client, bookable, host):
    session = bookable(capacity=3)
    body = {"name": "Hodan", "phone": "", "language": "", "channel": "", "extra": [1]}
    response = client.post(f"/api/v1/sessions/{session.id}/bookings", json=body, headers=host)
    assert response.status_code == 201, response.get_json()
    person = db.session.scalar(select(Participant))
    assert (person.phone, person.language, person.channel) == (None, "da", "other")


@pytest.mark.parametrize(
    "raw", ["[]", '"Hodan"', "null", nested(100_000), '{"name": ' + "1" * 5000 + "}"]
)
def test_a_booking_body_that_is_no_object_isrefused(client, bookable, host, raw):
    session = bookable(capacity=3)
    response = client.post(
        f"/api/v1/sessions/{session.id}/bookings",
        data=raw,
        content_type="application/json",
        headers=host,
    )
    assert refused(response, "body") == "Send a JSON object."
