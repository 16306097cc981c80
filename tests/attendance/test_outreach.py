"""Outreach: hosts record whom they contacted, and the funnel contacted → signed up → came."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from havehus.attendance.outreach import ContactData, funnel, record_contact, undo_contact
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Contact, Visit
from havehus.people.audit import Actor
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant
from tests.staff_fixtures import post_form, submit_page_form

NOW = DEFAULT_NOW  # Wednesday 2 December 2026
TZ = ZoneInfo("Europe/Copenhagen")
_keys = itertools.count(1)


def key() -> str:
    return f"contact-key-{next(_keys):08d}"


@pytest.fixture
def host(make_user) -> Actor:
    return Actor("user", make_user("host").id, role="host")


@pytest.fixture
def dinner(make_activity):
    return make_activity(
        mode="signup", capacity=30, title={"da": "Sammen om maden", "en": "Cooking together"}
    )


def person(name: str):
    return add_participant(name, at=NOW - timedelta(days=300))


def contact(actor: Actor, at, channel="friend", **fields) -> bool:
    return record_contact(db.session, ContactData(channel=channel, **fields), key(), at, actor)


# ---------------------------------------------------------------- recording


def test_a_count_is_recorded_once_however_often_it_is_sent(any_app, host):
    data = ContactData(channel="sundhedsformidler", count=4)
    same = key()

    first = record_contact(db.session, data, same, NOW, host)
    again = record_contact(db.session, data, same, NOW, host)
    db.session.commit()

    assert (first, again) == (True, False)
    [row] = db.session.scalars(select(Contact)).all()
    assert (row.count, row.channel, row.participant_id, row.recorded_by_id) == (
        4,
        "sundhedsformidler",
        None,
        host.user_id,
    )


def test_a_named_contact_is_one_person_about_an_activity(any_app, host, dinner):
    amina = person("Amina")

    contact(host, NOW, participant_id=amina.id, count=7, activity_id=dinner.id)

    row = db.session.scalars(select(Contact)).one()
    assert (row.participant_id, row.count, row.activity_id) == (amina.id, 1, dinner.id)


def test_a_named_contact_about_a_health_appointment_is_refused(app, host, make_activity):
    vaccination = make_activity(sensitive=True, category="health")
    amina = person("Amina")

    with pytest.raises(HavehusError) as refused:
        contact(host, NOW, participant_id=amina.id, activity_id=vaccination.id)
    assert refused.value.code == "sensitive"

    assert contact(host, NOW, count=3, activity_id=vaccination.id)  # counted is fine


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"channel": "carrier-pigeon"}, "invalid"),
        ({"count": 0}, "invalid"),
        ({"count": 501}, "invalid"),
        ({"activity_id": 999999}, "invalid"),
        ({"participant_id": 999999}, "not_found"),
    ],
)
def test_what_cannot_be_recorded_is_refused_with_a_reason(app, host, fields, code):
    with pytest.raises(HavehusError) as refused:
        contact(host, NOW, **{"channel": "friend", **fields})
    assert refused.value.code == code
    assert db.session.scalars(select(Contact)).all() == []


def test_only_hosts_and_managers_record_contacts(app, make_user):
    partner = Actor("user", make_user("partner").id, role="partner")
    with pytest.raises(HavehusError) as refused:
        contact(partner, NOW, count=1)
    assert refused.value.code == "forbidden"


def test_only_ones_own_record_of_the_last_hour_can_be_taken_back(app, host, make_user):
    other = Actor("user", make_user("host").id, role="host")
    contact(host, NOW, count=2)
    contact(host, NOW - timedelta(hours=2), count=3)
    contact(other, NOW, count=4)
    mine, old, theirs = db.session.scalars(select(Contact).order_by(Contact.count)).all()

    for refused_id in (old.id, theirs.id):
        with pytest.raises(HavehusError) as refused:
            undo_contact(db.session, refused_id, NOW, host)
        assert refused.value.code == "forbidden"
    assert undo_contact(db.session, mine.id, NOW, host) is True
    assert undo_contact(db.session, mine.id, NOW, host) is False  # a second tap
    assert sorted(db.session.scalars(select(Contact.count))) == [3, 4]


# ---------------------------------------------------------------- the funnel


def test_the_funnel_follows_named_people_from_contact_to_sign_up_to_visit(
    any_app, host, dinner, make_session
):
    week = NOW - timedelta(days=10)  # contacts on Sunday 22 November
    later = make_session(dinner, NOW - timedelta(days=3))
    before = make_session(dinner, NOW - timedelta(days=20))
    booked_and_came, booked, walked_in, booked_before, silent = (
        person(n) for n in ("Came", "Booked", "Walked in", "Booked before", "Silent")
    )
    add_booking(later, booked_and_came, "attended", at=week + timedelta(days=1))
    add_booking(later, booked, "no_show", at=week + timedelta(days=2))
    db.session.add(Visit(session=later, participant=walked_in, source="kiosk", at=later.starts_at))
    add_booking(before, booked_before, "attended", at=before.starts_at - timedelta(days=1))
    for who in (booked_and_came, booked, booked_before, silent):
        contact(host, week, channel="sundhedsformidler", participant_id=who.id)
    contact(host, week + timedelta(hours=1), channel="friend", participant_id=booked_and_came.id)
    contact(host, week, channel="friend", participant_id=walked_in.id)
    contact(host, week, channel="drop-in", count=5)
    contact(host, NOW - timedelta(days=40), channel="friend", count=9)  # before the period
    db.session.commit()

    result = funnel(db.session, date(2026, 11, 16), date(2026, 11, 29), TZ, NOW)

    total = result.total
    assert (total.contacted, total.named, total.signed_up, total.came) == (10, 5, 3, 2)
    health = result.by_channel["sundhedsformidler"]
    assert (health.contacted, health.named, health.signed_up, health.came) == (4, 4, 2, 1)
    friend = result.by_channel["friend"]
    assert (friend.contacted, friend.named, friend.signed_up, friend.came) == (2, 2, 2, 2)
    drop_in = result.by_channel["drop-in"]
    assert (drop_in.contacted, drop_in.named, drop_in.signed_up, drop_in.came) == (5, 0, 0, 0)
    assert result.by_channel["other"].contacted == 0


def test_the_funnel_counts_only_what_happened_by_now(app, host, dinner, make_session):
    amina = person("Amina")
    contact(host, NOW - timedelta(days=5), participant_id=amina.id)
    coming = make_session(dinner, NOW + timedelta(days=3))
    add_booking(coming, amina, "confirmed", at=NOW + timedelta(hours=1))  # after now
    db.session.commit()

    result = funnel(db.session, date(2026, 11, 23), date(2026, 12, 2), TZ, NOW)
    assert (result.total.named, result.total.signed_up) == (1, 0)

    later = funnel(db.session, date(2026, 11, 23), date(2026, 12, 2), TZ, NOW + timedelta(days=1))
    assert later.total.signed_up == 1 and later.total.came == 0


def test_the_funnel_of_one_activity(app, host, dinner, make_activity):
    garden = make_activity(title={"da": "Havefællesskabet"})
    contact(host, NOW - timedelta(days=1), count=3, activity_id=dinner.id)
    contact(host, NOW - timedelta(days=1), count=4, activity_id=garden.id)
    contact(host, NOW - timedelta(days=1), count=2)
    db.session.commit()

    first, last = date(2026, 12, 1), date(2026, 12, 1)
    assert funnel(db.session, first, last, TZ, NOW).total.contacted == 9
    assert funnel(db.session, first, last, TZ, NOW, activity_id=dinner.id).total.contacted == 3


# ---------------------------------------------------------------- the page


def test_a_host_finds_a_person_and_records_the_contact(client, signed_in, dinner):
    amina = person("Amina Ali")
    db.session.commit()
    signed_in("host")

    found = client.get("/host/contacted?q=amina").get_data(as_text=True)
    assert f"person={amina.id}" in found
    page = f"/host/contacted?person={amina.id}"
    assert "Amina Ali" in client.get(page).get_data(as_text=True)
    response = submit_page_form(
        client, page, "Registrér kontakten", channel="friend", activity=str(dinner.id)
    )

    assert response.status_code == 303
    assert "channel=friend" in response.location and f"activity={dinner.id}" in response.location
    row = db.session.scalars(select(Contact)).one()
    assert (row.participant_id, row.channel, row.activity_id) == (amina.id, "friend", dinner.id)
    after = client.get(response.location).get_data(as_text=True)
    assert "Registreret. Tak!" in after and "Amina Ali" in after and "Fortryd" in after


def test_a_count_from_the_page_is_recorded_once_when_sent_twice(client, signed_in):
    signed_in("host")
    html = client.get("/host/contacted").get_data(as_text=True)
    assert 'name="key"' in html

    first = submit_page_form(client, "/host/contacted", "Registrér kontakten", count="3")
    key_sent = db.session.scalars(select(Contact.key)).one()
    data = {"key": key_sent, "count": "3", "channel": "drop-in", "activity": ""}
    again = post_form(client, "/host/contacted", "/host/contacted", **data)

    assert first.status_code == again.status_code == 303
    assert db.session.scalars(select(Contact.count)).all() == [3]
    assert "allerede registreret" in client.get(again.location).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": "abc"}, "Skriv et tal fra 1 til 500."),
        ({"count": "0"}, "Skriv et tal fra 1 til 500."),
        ({"channel": "pigeon"}, "Vælg hvordan personen blev kontaktet."),
        ({"activity": "99999999"}, "Vælg en aktivitet på listen."),
        ({"participant_id": "99999999"}, "Personen blev ikke fundet."),
    ],
)
def test_a_record_that_cannot_be_read_is_refused_in_words(client, signed_in, fields, message):
    signed_in("host")

    response = submit_page_form(client, "/host/contacted", "Registrér kontakten", **fields)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(Contact)).all() == []


def test_undo_from_the_page(client, signed_in):
    signed_in("host")
    submit_page_form(client, "/host/contacted", "Registrér kontakten", count="2")

    response = submit_page_form(client, "/host/contacted", "/undo")

    assert response.status_code == 303
    assert db.session.scalars(select(Contact)).all() == []
    assert "fortrudt" in client.get(response.location).get_data(as_text=True)


def test_the_contacts_page_speaks_the_hosts_language(client, signed_in):
    signed_in("host")

    page = client.get("/host/contacted?lang=ur").get_data(as_text=True)

    assert 'dir="rtl"' in page and "Who did you contact?" not in page
