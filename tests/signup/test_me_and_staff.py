"""A person's own page, and staff signing people up on their behalf."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import AuditEvent, Booking, Consent, FeedToken, OptOut
from havehus.people.audit import Actor
from havehus.signup import me, services
from tests.factories import number_key
from tests.signup.conftest import NOW
from tests.staff_fixtures import post_form, sign_in, submit_page_form


def _booked(session, person):
    result = services.book(
        db.session, session, person, NOW, Actor("public"), source="web", settings=current_settings()
    )
    db.session.commit()
    return result.booking


def test_my_page_lists_my_bookings_with_a_way_to_cancel(client, bookable, make_person):
    session = bookable()
    person = make_person("Samira")
    _booked(session, person)
    token = me.existing_personal_token(db.session, person, current_settings())
    assert token is not None
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert "Sammen om maden" in page and "Du har en plads" in page
    assert "/cancel" in page and f"/me/{token}.ics" in page
    assert "Samira" not in page  # nothing more personal than needed on screen


def test_the_link_is_the_same_every_time(app, bookable, make_person):
    person = make_person()
    first = me.personal_token(db.session, person, NOW, current_settings())
    second = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    assert first == second
    assert db.session.scalar(select(db.func.count()).select_from(FeedToken)) == 1


def test_unknown_or_revoked_links_are_not_found(client, bookable, make_person):
    person = make_person()
    token = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    assert client.get("/me/not-a-token").status_code == 404
    db.session.scalar(select(FeedToken)).revoked_at = NOW
    db.session.commit()
    assert client.get(f"/me/{token}").status_code == 404


def test_choosing_the_language_of_the_texts(client, make_person):
    person = make_person(language="da")
    token = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    response = post_form(client, f"/me/{token}", f"/me/{token}/language", language="en")
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.language == "en"
    assert "My bookings" in client.get(response.location).get_data(as_text=True)


def test_asking_to_delete_my_data_reaches_the_manager(client, make_user, make_person, app):
    person = make_person("Rubina")
    token = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    post_form(client, f"/me/{token}", f"/me/{token}/erase")
    db.session.refresh(person)
    assert person.erasure_requested_at is not None
    manager = app.test_client()
    sign_in(manager, make_user("manager").email)
    listing = manager.get("/staff/people/erasure-requests").get_data(as_text=True)
    assert "Rubina" in listing
    post_form(manager, "/staff/people/erasure-requests", f"/staff/people/{person.id}/erase")
    db.session.refresh(person)
    assert person.display_name == "" and person.phone is None and person.anonymised_at
    assert manager.get(f"/me/{token}").status_code == 404


def test_a_host_signs_up_a_new_person_with_consent_on_their_behalf(client, signed_in, bookable):
    host = signed_in("host")
    session = bookable(capacity=5)
    page = f"/staff/sessions/{session.id}/bookings"
    response = post_form(
        client,
        page,
        name="Ayaan",
        phone="20 44 55 66",
        language="en",
        channel="sundhedsformidler",
        sms_consent="y",
        wants_company="y",
        staff_note="Kommer med sin søster",
    )
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert booking.source == "staff" and booking.created_by_id == host.id and booking.wants_company
    assert booking.participant.channel == "sundhedsformidler"
    consent = db.session.scalar(select(Consent))
    assert consent.recorded_by_id == host.id and consent.wording_version == services.SMS_WORDING
    listing = client.get(page).get_data(as_text=True)
    assert "Ayaan" in listing and "…5566" in listing and "Kommer med sin søster" in listing


def test_staff_find_people_by_name_or_last_four_digits(client, signed_in, bookable, make_person):
    signed_in("host")
    session = bookable()
    person = make_person("Mehmet", phone="+4520998877")
    db.session.commit()
    by_name = client.get(f"/staff/sessions/{session.id}/bookings?q=meh").get_data(as_text=True)
    by_digits = client.get(f"/staff/sessions/{session.id}/bookings?q=8877").get_data(as_text=True)
    assert "Tilmeld <bdi>Mehmet</bdi>" in by_name and "Tilmeld <bdi>Mehmet</bdi>" in by_digits
    response = post_form(
        client,
        f"/staff/sessions/{session.id}/bookings",
        participant_id=str(person.id),
        language="en",
        channel="friend",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Booking.participant_id)) == person.id


@pytest.mark.parametrize("query", ["12", "Birthe 12", "x1", "%", "_", "   "])
def test_a_search_that_could_match_anyone_finds_nobody(
    client, signed_in, bookable, make_person, query
):
    signed_in("host")
    session = bookable()
    make_person("Birthe", phone="+4520990012")
    make_person("Mehmet", phone="+4520998877")
    db.session.commit()
    page = client.get(f"/staff/sessions/{session.id}/bookings", query_string={"q": query})
    assert "Tilmeld <bdi>" not in page.get_data(as_text=True)


def test_name_and_last_digits_together_narrow_the_search(client, signed_in, bookable, make_person):
    signed_in("host")
    session = bookable()
    make_person("Birthe", phone="+4520990012")
    make_person("Birthe", phone="+4520998877")
    db.session.commit()
    page = client.get(f"/staff/sessions/{session.id}/bookings", query_string={"q": "birthe 8877"})
    assert page.get_data(as_text=True).count("Tilmeld <bdi>Birthe</bdi>") == 1


def test_a_host_signs_up_someone_the_house_knows_with_the_button_beside_their_name(
    client, signed_in, bookable, make_person
):
    host = signed_in("host")
    session = bookable(capacity=5)
    zainab = make_person("Zainab", phone="+4520336780", language="ar")
    db.session.commit()
    page = f"/staff/sessions/{session.id}/bookings?q=6780"

    response = submit_page_form(client, page, "Tilmeld <bdi>Zainab</bdi> (…6780)")

    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalar(select(Booking))
    assert booking.participant_id == zainab.id and booking.status == "confirmed"
    assert booking.source == "staff" and booking.created_by_id == host.id
    again = submit_page_form(client, page, "Tilmeld <bdi>Zainab</bdi> (…6780)")
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1  # no second seat
    db.session.refresh(session)
    assert session.seats_taken == 1


def test_a_known_person_goes_on_the_waiting_list_when_it_is_full(
    client, signed_in, bookable, make_person
):
    signed_in("host")
    session = bookable(capacity=1)
    _booked(session, make_person("First"))
    make_person("Zainab", phone="+4520336780")
    db.session.commit()

    response = submit_page_form(
        client, f"/staff/sessions/{session.id}/bookings?q=Zainab", "Tilmeld <bdi>Zainab</bdi>"
    )

    assert response.status_code == 302
    statuses = db.session.scalars(select(Booking.status).order_by(Booking.id)).all()
    assert statuses == ["confirmed", "waitlisted"]


def test_staff_overbook_only_when_they_say_so(client, signed_in, bookable):
    signed_in("manager")
    session = bookable(capacity=1, waitlist=False)
    page = f"/staff/sessions/{session.id}/bookings"
    post_form(client, page, name="A", language="da", channel="other")
    full = post_form(client, page, name="B", language="da", channel="other")
    assert full.status_code == 409 and "Sæt kryds" in full.get_data(as_text=True)
    forced = post_form(client, page, name="B", language="da", channel="other", overbook="y")
    assert forced.status_code == 302
    db.session.refresh(session)
    assert session.seats_taken == 2
    assert (
        db.session.scalar(
            select(AuditEvent.details)
            .where(AuditEvent.action == "booking.create")
            .order_by(AuditEvent.id.desc())
        )["overbook"]
        is True
    )


def test_hosts_see_counts_not_names_for_sensitive_appointments(
    client, signed_in, bookable, make_person
):
    signed_in("host")
    session = bookable(
        capacity=2,
        category="health",
        sensitive=True,
        title={"da": "Pop-up vaccination"},
        neutral_title={"da": "Aftale"},
    )
    booking = _booked(session, make_person("Khaled", health=True))
    page = client.get(f"/staff/sessions/{session.id}/bookings").get_data(as_text=True)
    assert "Khaled" not in page and "Pladser: 1" in page
    refused = post_form(
        client, f"/staff/sessions/{session.id}/bookings", f"/staff/bookings/{booking.id}/cancel"
    )
    assert refused.status_code == 403


def test_managers_see_names_for_sensitive_appointments(client, signed_in, bookable, make_person):
    signed_in("manager")
    session = bookable(
        capacity=2,
        category="health",
        sensitive=True,
        title={"da": "Pop-up vaccination"},
        neutral_title={"da": "Aftale"},
    )
    _booked(session, make_person("Khaled", health=True))
    assert "Khaled" in client.get(f"/staff/sessions/{session.id}/bookings").get_data(as_text=True)


def test_staff_cancel_frees_the_seat(client, signed_in, bookable, make_person):
    signed_in("host")
    session = bookable(capacity=1)
    booking = _booked(session, make_person())
    waiting = _booked(session, make_person())
    response = post_form(
        client, f"/staff/sessions/{session.id}/bookings", f"/staff/bookings/{booking.id}/cancel"
    )
    assert response.status_code == 302
    db.session.refresh(waiting)
    assert waiting.status == "confirmed"


def test_partners_cannot_see_who_is_coming(client, signed_in, bookable):
    signed_in("partner")
    session = bookable()
    assert client.get(f"/staff/sessions/{session.id}/bookings").status_code == 403


def test_staff_are_told_when_the_promoted_person_said_stop(
    client, signed_in, bookable, make_person
):
    signed_in("manager")
    session = bookable(capacity=1)
    first = _booked(session, make_person("Amina"))
    waiting = make_person("Hodan")
    _booked(session, waiting)
    db.session.add(OptOut(phone_hash=number_key(waiting.phone), opted_out_at=NOW, source="sms"))
    db.session.commit()
    page = f"/staff/sessions/{session.id}/bookings"

    response = post_form(client, page, f"/staff/bookings/{first.id}/cancel")

    assert response.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Hun eller han har skrevet STOP" in shown
