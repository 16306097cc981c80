"""A person's copy of their data, and then their erasure: tried as a resident and a manager."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import AuditEvent, InboundMessage, OutboundMessage, Visit
from havehus.people.audit import Actor
from havehus.signup import me, my_record
from tests.factories import add_booking
from tests.privacy_scan import places_holding
from tests.signup.conftest import NOW
from tests.staff_fixtures import post_form, sign_in

NAME, PHONE = "Oksana Kovalenko", "+4520656565"


def _season(bookable, make_person) -> tuple:
    """Oksana (reads Ukrainian) booked, came, got a text and answered it."""
    person = make_person(NAME, phone=PHONE, language="uk")
    session = bookable()
    add_booking(session, person, "attended", at=NOW)  # with her visit
    db.session.add_all(
        [
            OutboundMessage(
                to_phone=PHONE, participant=person, language="uk", kind="confirmation",
                body="Ви записані: Sammen om maden", send_after=NOW, status="delivered",
                segments=1, created_at=NOW,
            ),
            InboundMessage(
                from_phone=PHONE, participant_id=person.id, body="Дякую, прийду з донькою",
                received_at=NOW, interpreted_as="other",
            ),
        ]
    )  # fmt: skip
    token = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    return person, token


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_a_resident_asks_for_a_copy_gets_a_pdf_then_is_deleted_and_the_counts_stay(
    client, app, make_user, bookable, make_person
):
    person, token = _season(bookable, make_person)
    post_form(client, f"/me/{token}?lang=en", f"/me/{token}/copy")
    db.session.refresh(person)
    assert person.copy_requested_at is not None
    assert "within a month" in client.get(f"/me/{token}?lang=en").get_data(as_text=True)

    manager_user = make_user("manager", name="Mette")
    manager = app.test_client()
    sign_in(manager, manager_user.email)
    requests = manager.get("/staff/people/erasure-requests").get_data(as_text=True)
    assert NAME in requests and f"/staff/people/{person.id}/record.pdf" in requests

    as_json = manager.get(f"/staff/people/{person.id}/record.json")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["Content-Disposition"]
    data = json.loads(as_json.get_data(as_text=True))
    assert data["person"]["name"] == NAME and data["person"]["phone"] == PHONE
    assert [c["wording_version"] for c in data["consents"]] and data["consents"][0]["kind"]
    assert [b["activity"] for b in data["bookings"]] == ["Sammen om maden"]  # no Ukrainian title
    assert len(data["visits"]) == 1
    assert data["texts_sent"][0]["text"] == "Ви записані: Sammen om maden"
    assert data["texts_received"][0]["text"] == "Дякую, прийду з донькою"
    assert "participant.copy_requested" in {change["what"] for change in data["changes"]}

    as_pdf = manager.get(f"/staff/people/{person.id}/record.pdf")
    assert as_pdf.status_code == 200 and as_pdf.mimetype == "application/pdf"
    text = _pdf_text(as_pdf.data)
    assert "Ваші дані" in text and "Ваші записи" in text  # headed in her language
    assert "Oksana" in text and "Дякую" in text  # her own words as she wrote them
    # Statuses, consents and her language in words, not codes.
    assert "Прийшов" in text and "Українська" in text.replace("українська", "Українська")
    assert "attended" not in text and "sms (" not in text
    post_form(
        manager, "/staff/people/erasure-requests", f"/staff/people/{person.id}/copy-handed-over"
    )
    db.session.refresh(person)
    assert person.copy_requested_at is None

    # Then she asks to be deleted, and the manager confirms it.
    visits_before = db.session.scalar(select(func.count()).select_from(Visit))
    post_form(client, f"/me/{token}", f"/me/{token}/erase")
    post_form(manager, "/staff/people/erasure-requests", f"/staff/people/{person.id}/erase")
    assert places_holding(NAME, "Oksana", PHONE, PHONE[3:], "донькою") == set()
    assert db.session.scalar(select(func.count()).select_from(Visit)) == visits_before == 1
    assert manager.get(f"/staff/people/{person.id}/record.json").status_code == 404
    trail = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_user_id).where(
            AuditEvent.target_type == "Participant", AuditEvent.target_id == str(person.id)
        )
    ).all()
    assert ("access.export", manager_user.id) in trail  # each copy taken out, by whom
    assert ("participant.erase", manager_user.id) in trail


@pytest.mark.parametrize("role", ["host", "partner"])
def test_only_managers_take_a_record_out_whatever_the_door(app, role, bookable, make_person):
    person, _token = _season(bookable, make_person)
    with pytest.raises(HavehusError):
        my_record.record(db.session, person, NOW, Actor("user", 1, role=role), "json")
    with pytest.raises(HavehusError):
        my_record.copy_requests(db.session, Actor("user", 1, role=role))
