"""The follow-up list: who did not come, who missed twice, who came for the first time, who
has not been seen for a while — worked out on fixtures at a fixed clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from havehus.attendance import texts
from havehus.attendance.follow_up import (
    Entry,
    follow_up_list,
    send_text,
    set_state,
)
from havehus.attendance.services import close, mark_came, mark_not_came
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.messaging.quiet import QuietHours
from havehus.models import AuditEvent, FollowUp, OptOut, OutboundMessage, Participant, Visit
from havehus.people.audit import Actor
from havehus.people.retention import anonymise
from havehus.program.services import read_versions
from tests.attendance.conftest import booking_of
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant, number_key
from tests.staff_fixtures import post_form, sign_in, submit_page_form

NOW = DEFAULT_NOW  # Wednesday 2 December 2026, 12:00 in Copenhagen
SITE, LINK = "Havehuset", "https://havehus.example/"
COPENHAGEN = QuietHours(start=time(21, 0), end=time(8, 0), tz=ZoneInfo("Europe/Copenhagen"))


@pytest.fixture
def house(make_activity, make_session):
    """Past sessions of a shared meal and of a vaccination (a health appointment)."""

    class House:
        dinner = make_activity(
            mode="signup",
            capacity=30,
            category="food",
            title={"da": "Sammen om maden", "en": "Cooking together"},
        )
        vaccination = make_activity(
            mode="signup",
            capacity=30,
            category="health",
            sensitive=True,
            title={"da": "Vaccination mod influenza", "en": "Flu vaccination"},
            neutral_title={"da": "En aftale i Havehuset", "en": "An appointment at Havehuset"},
        )

        def session(self, days_ago: float, *, health: bool = False):
            activity = self.vaccination if health else self.dinner
            return make_session(activity, NOW - timedelta(days=days_ago), minutes=120)

        def missed(self, person: Participant, days_ago: float, *, health: bool = False):
            session = self.session(days_ago, health=health)
            add_booking(session, person, "no_show", at=session.starts_at - timedelta(days=1))
            return session

        def came(self, person: Participant, days_ago: float, *, health: bool = False):
            session = self.session(days_ago, health=health)
            add_booking(session, person, "attended", at=session.starts_at - timedelta(days=1))
            return session

        def walked_in(self, person: Participant, days_ago: float):
            session = self.session(days_ago)
            db.session.add(
                Visit(session=session, participant=person, source="kiosk", at=session.starts_at)
            )
            db.session.flush()
            return session

    return House()


@pytest.fixture
def manager(make_user) -> Actor:
    user = make_user("manager")
    return Actor("user", user.id, role="manager")


@pytest.fixture
def host(make_user) -> Actor:
    user = make_user("host")
    return Actor("user", user.id, role="host")


def person(name: str, **fields) -> Participant:
    return add_participant(name, at=NOW - timedelta(days=400), **fields)


def listed(entries: list[Entry]) -> list[tuple[str, str]]:
    return [(entry.participant.display_name, entry.reason) for entry in entries]


# ---------------------------------------------------------------- the four reasons


def test_a_recent_no_show_is_on_the_list_until_they_come_again(any_app, house, manager):
    amina, ole, sara = person("Amina"), person("Ole"), person("Sara")
    house.came(amina, 30)
    latest = house.missed(amina, 3)
    house.came(ole, 30)
    house.missed(ole, 20)  # longer ago than two weeks
    house.came(sara, 30)
    house.missed(sara, 10)
    house.came(sara, 2)  # she is back
    db.session.commit()

    entries = follow_up_list(db.session, NOW, manager, settings=current_settings())

    assert listed(entries) == [("Amina", "no_show")]
    assert entries[0].session.id == latest.id and entries[0].occurrence.startswith("booking:")


def test_two_no_shows_in_a_row_are_missed_twice_and_listed_once(any_app, house, manager):
    amina, ole = person("Amina"), person("Ole")
    house.missed(amina, 30)
    house.missed(amina, 4)
    house.missed(ole, 30)
    house.walked_in(ole, 20)  # came in between: not twice in a row
    house.missed(ole, 4)
    db.session.commit()

    assert listed(follow_up_list(db.session, NOW, manager, settings=current_settings())) == [
        ("Amina", "missed_twice"),
        ("Ole", "no_show"),
    ]


def test_missed_twice_long_ago_is_no_longer_listed(app, house, manager):
    amina = person("Amina")
    house.missed(amina, 80)
    house.missed(amina, 50)
    db.session.commit()

    assert follow_up_list(db.session, NOW, manager, settings=current_settings()) == []


def test_a_first_visit_in_the_last_week_is_listed(any_app, house, manager):
    amina, ole, hodan = person("Amina"), person("Ole"), person("Hodan")
    house.came(amina, 3)
    house.came(ole, 10)  # first came before last week
    house.came(ole, 3)
    house.walked_in(hodan, 1)  # a walk-in is a visit too
    db.session.commit()

    entries = follow_up_list(
        db.session, NOW, manager, reason="first_visit", settings=current_settings()
    )

    assert listed(entries) == [("Hodan", "first_visit"), ("Amina", "first_visit")]
    assert all(entry.occurrence.startswith("visit:") for entry in entries)


def test_people_not_seen_for_six_weeks_are_listed_but_never_anonymised_ones(
    any_app, house, manager
):
    amina, ole, gone, asked = person("Amina"), person("Ole"), person("Gone"), person("Asked")
    last = house.came(amina, 50)
    house.came(amina, 90)
    house.came(ole, 50)
    house.came(ole, 30)  # seen within six weeks
    house.came(gone, 60)
    house.came(asked, 60)
    never = person("Never")  # booked, never came: not "not seen"
    add_booking(house.session(60), never, "confirmed", at=NOW - timedelta(days=61))
    anonymise(db.session, [gone.id], NOW - timedelta(days=1))
    asked.erasure_requested_at = NOW - timedelta(days=1)
    db.session.commit()

    entries = follow_up_list(
        db.session, NOW, manager, reason="not_seen", settings=current_settings()
    )

    assert listed(entries) == [("Amina", "not_seen")]
    assert entries[0].session.id == last.id


def test_the_list_is_most_pressing_first_then_latest_first(any_app, house, manager):
    first_timer, lost, twice, once = (person(n) for n in ("First", "Lost", "Twice", "Once"))
    house.came(first_timer, 2)
    house.came(lost, 100)
    house.missed(twice, 20)
    house.missed(twice, 10)
    house.came(once, 30)
    house.missed(once, 1)
    earlier = person("Earlier")
    house.came(earlier, 30)
    house.missed(earlier, 5)
    db.session.commit()

    assert listed(follow_up_list(db.session, NOW, manager, settings=current_settings())) == [
        ("Twice", "missed_twice"),
        ("Once", "no_show"),
        ("Earlier", "no_show"),
        ("First", "first_visit"),
        ("Lost", "not_seen"),
    ]


def test_closing_tonights_session_puts_who_did_not_come_on_the_list(app, tonight, host, clock):
    session = tonight("Amina", "Ole")
    amina = booking_of(session, "Amina")
    mark_came(db.session, session, amina.id, "came-tonight-amina-1", clock.now, host)

    close(db.session, session, clock.now, host)
    db.session.commit()

    assert listed(follow_up_list(db.session, clock.now, host, settings=current_settings())) == [
        ("Ole", "no_show"),
        ("Amina", "first_visit"),
    ]


# ---------------------------------------------------------------- health appointments


def test_a_hosts_list_is_worked_out_without_health_appointments(any_app, house, host, manager):
    vaccinated = person("Vaccinated")
    house.missed(vaccinated, 2, health=True)
    mixed = person("Mixed")
    house.came(mixed, 30)
    house.missed(mixed, 5)
    house.missed(mixed, 2, health=True)
    newcomer = person("Newcomer")
    house.came(newcomer, 3, health=True)
    db.session.commit()

    for_manager = follow_up_list(db.session, NOW, manager, settings=current_settings())
    for_host = follow_up_list(db.session, NOW, host, settings=current_settings())

    assert listed(for_manager) == [
        ("Mixed", "missed_twice"),
        ("Vaccinated", "no_show"),
        ("Newcomer", "first_visit"),
    ]
    assert all(entry.sensitive for entry in for_manager)
    # The host's list says nothing about a health appointment, not even by leaving Mixed out.
    assert listed(for_host) == [("Mixed", "no_show")]
    assert not for_host[0].sensitive


def test_the_host_page_shows_no_health_appointment_and_the_manager_page_words_it_neutrally(
    app, client, signed_in, make_user, house
):
    house.missed(person("Vaccinated"), 2, health=True)
    house.came(person("Ole"), 30)
    house.missed(db.session.scalars(select(Participant).filter_by(display_name="Ole")).one(), 3)
    db.session.commit()

    signed_in("host")
    page = client.get("/host/follow-up").get_data(as_text=True)
    assert "Ole" in page and "Sammen om maden" in page
    assert "Vaccinated" not in page and "Vaccination" not in page and "aftale" not in page

    manager = app.test_client()
    sign_in(manager, make_user("manager").email)
    page = manager.get("/host/follow-up").get_data(as_text=True)
    assert "Vaccinated" in page and "En aftale i Havehuset" in page
    assert "Vaccination" not in page


# ---------------------------------------------------------------- texted, called, done


def test_done_hides_someone_until_a_new_occurrence(any_app, house, host):
    amina = person("Amina")
    house.came(amina, 40)
    house.missed(amina, 10)
    db.session.commit()
    [entry] = follow_up_list(db.session, NOW, host, settings=current_settings())

    set_state(
        db.session, amina.id, "no_show", entry.occurrence, "done", NOW, host, current_settings()
    )
    db.session.commit()

    assert follow_up_list(db.session, NOW, host, settings=current_settings()) == []
    assert listed(
        follow_up_list(db.session, NOW, host, done=True, settings=current_settings())
    ) == [("Amina", "no_show")]
    house.came(amina, 6)
    house.missed(amina, 2)  # she came back, then missed again: a new occurrence
    db.session.commit()
    [again] = follow_up_list(db.session, NOW, host, settings=current_settings())
    assert again.reason == "no_show" and again.occurrence != entry.occurrence
    assert again.mark is None


def test_a_state_is_kept_with_who_and_when_and_can_be_cleared(any_app, house, host, clock):
    amina = person("Amina")
    house.came(amina, 3)
    db.session.commit()
    [entry] = follow_up_list(db.session, NOW, host, settings=current_settings())

    set_state(
        db.session,
        amina.id,
        "first_visit",
        entry.occurrence,
        "called",
        NOW,
        host,
        current_settings(),
    )
    later = NOW + timedelta(minutes=5)
    set_state(
        db.session,
        amina.id,
        "first_visit",
        entry.occurrence,
        "texted",
        later,
        host,
        current_settings(),
    )
    db.session.commit()

    mark = db.session.scalars(select(FollowUp)).one()
    assert (mark.state, mark.set_by_id, mark.set_at) == ("texted", host.user_id, later)
    assert follow_up_list(db.session, NOW, host, settings=current_settings())[0].state == "texted"
    actions = db.session.scalars(select(AuditEvent.details).filter_by(action="follow_up.state"))
    assert [details["state"] for details in actions] == ["called", "texted"]

    set_state(
        db.session, amina.id, "first_visit", entry.occurrence, "", later, host, current_settings()
    )
    db.session.commit()
    assert db.session.scalars(select(FollowUp)).all() == []


def test_marking_what_is_not_on_ones_list_is_refused(any_app, house, host, manager):
    amina = person("Amina")
    house.came(amina, 30)
    house.missed(amina, 2, health=True)
    db.session.commit()
    [entry] = follow_up_list(db.session, NOW, manager, settings=current_settings())

    for actor, reason, occurrence, state in [
        (host, "no_show", entry.occurrence, "done"),  # a host's list has no health no-show
        (manager, "no_show", "booking:999999", "done"),
        (manager, "lost", entry.occurrence, "done"),
    ]:
        with pytest.raises(HavehusError) as refused:
            set_state(
                db.session, amina.id, reason, occurrence, state, NOW, actor, current_settings()
            )
        assert refused.value.code == "not_found"
    with pytest.raises(HavehusError) as refused:
        set_state(
            db.session,
            amina.id,
            "no_show",
            entry.occurrence,
            "forgotten",
            NOW,
            manager,
            current_settings(),
        )
    assert refused.value.code == "invalid"
    partner = Actor("user", manager.user_id, role="partner")
    with pytest.raises(HavehusError) as refused:
        follow_up_list(db.session, NOW, partner, settings=current_settings())
    assert refused.value.code == "forbidden"


# ---------------------------------------------------------------- the one-tap text


def _text(actor: Actor, who: Participant, reason: str, at: datetime = NOW, **kw) -> bool:
    [entry] = [
        e
        for e in follow_up_list(db.session, at, actor, settings=current_settings())
        if e.participant.id == who.id
    ]
    return send_text(
        db.session, who.id, reason, entry.occurrence, at, actor, settings=current_settings(), **kw
    )


def test_one_tap_queues_a_kind_text_in_the_persons_language_once(any_app, house, host):
    layla = person("Layla Hassan", language="ar")
    house.came(layla, 30)
    house.missed(layla, 3)
    db.session.commit()

    assert _text(host, layla, "no_show") is True
    assert _text(host, layla, "no_show") is False  # a second tap sends nothing more
    db.session.commit()

    [message] = db.session.scalars(select(OutboundMessage)).all()
    assert (message.kind, message.language, message.to_phone) == ("follow-up", "ar", layla.phone)
    assert "Layla" in message.body and "Hassan" not in message.body
    assert "/?lang=ar" in message.body  # the program, in her language
    assert re.search(r"[\u0600-\u06ff]", message.body)  # Arabic
    assert "Sammen" not in message.body and "Cooking" not in message.body
    assert message.session_id is None and message.booking_id is None
    assert message.created_by_id == host.user_id
    assert follow_up_list(db.session, NOW, host, settings=current_settings())[0].state == "texted"


def test_a_follow_up_text_never_says_what_the_appointment_was(any_app, house, manager):
    amina = person("Amina")
    house.missed(amina, 2, health=True)
    db.session.commit()

    _text(manager, amina, "no_show")

    body = db.session.scalars(select(OutboundMessage.body)).one()
    assert body.startswith("Hej Amina")
    for word in ("Vaccination", "influenza", "aftale", "Flu"):
        assert word not in body


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"consents": ()}, "no_consent"),
        ({"phone": None, "consents": ()}, "no_phone"),
        ({"phone_unreachable": True}, "unreachable"),
        ({"stop": True}, "opted_out"),
    ],
)
def test_no_text_without_consent_a_number_or_after_stop(app, house, host, setup, code):
    stop = setup.pop("stop", False)
    amina = person("Amina", **setup)
    if stop:
        db.session.add(OptOut(phone_hash=number_key(amina.phone), opted_out_at=NOW, source="sms"))
    house.came(amina, 3)
    db.session.commit()

    assert (
        follow_up_list(db.session, NOW, host, settings=current_settings())[0].text_problem == code
    )
    with pytest.raises(HavehusError) as refused:
        _text(host, amina, "first_visit")
    assert refused.value.code == code
    assert db.session.scalars(select(OutboundMessage)).all() == []


def test_a_text_asked_for_at_night_waits_for_the_morning(app, house, host):
    amina = person("Amina")
    house.came(amina, 3)
    db.session.commit()
    night = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)  # 22:30 in Copenhagen

    _text(host, amina, "first_visit", at=night, quiet=COPENHAGEN)

    message = db.session.scalars(select(OutboundMessage)).one()
    assert message.send_after == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 08:00 local
    assert message.expires_at == message.send_after + timedelta(days=1)


def test_a_queued_follow_up_is_dropped_when_the_person_is_erased_meanwhile(app, house, host):
    amina = person("Amina")
    house.came(amina, 3)
    db.session.commit()
    _text(host, amina, "first_visit")
    message = db.session.scalars(select(OutboundMessage)).one()
    assert texts.still_wanted(db.session, message, NOW) is None

    anonymise(db.session, [amina.id], NOW)
    db.session.expire_all()

    assert texts.still_wanted(db.session, message, NOW) is not None


def test_each_reason_has_its_own_kind_words_in_every_language(app):
    with app.test_request_context():
        for language in ("da", "en", "ar", "tr", "so", "ur", "uk"):
            words = {
                reason: texts.follow_up_text(reason, "Amina Ali", language, SITE, LINK)
                for reason in ("no_show", "first_visit", "not_seen")
            }
            assert len(set(words.values())) == 3, language
            for body in words.values():
                assert "Amina" in body and "Ali" not in body and LINK in body and SITE in body
        assert texts.follow_up_text("no_show", "Ole", "da", SITE, LINK).startswith("Hej Ole")


# ---------------------------------------------------------------- the page


def test_the_page_lists_people_and_a_tap_marks_them(client, signed_in, house):
    amina = person("Amina")
    house.came(amina, 40)
    house.missed(amina, 3)
    db.session.commit()
    signed_in("host")

    page = client.get("/host/follow-up").get_data(as_text=True)
    assert "Amina" in page and "Kom ikke" in page and "Send en venlig sms" in page
    assert amina.phone not in page and amina.phone[-4:] in page  # hosts: the last four only

    response = submit_page_form(client, "/host/follow-up", 'value="called"')
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Ringet op" in page
    response = submit_page_form(client, "/host/follow-up", 'value="done"')
    assert "Amina" not in client.get(response.location).get_data(as_text=True)
    assert "Amina" in client.get("/host/follow-up?show=done").get_data(as_text=True)


def test_the_one_tap_text_from_the_page(client, signed_in, house):
    amina = person("Amina")
    house.came(amina, 3)
    db.session.commit()
    signed_in("host")

    response = submit_page_form(client, "/host/follow-up", "/host/follow-up/text")
    again = submit_page_form(client, "/host/follow-up", 'value="done"')

    assert response.status_code == again.status_code == 303
    assert db.session.scalars(select(OutboundMessage.kind)).all() == ["follow-up"]


def test_a_manager_gets_the_whole_number_to_call(client, signed_in, house):
    amina = person("Amina")
    house.came(amina, 3)
    db.session.commit()
    signed_in("manager")

    page = client.get("/host/follow-up").get_data(as_text=True)

    assert f'href="tel:{amina.phone}"' in page


def test_the_page_speaks_the_hosts_language(client, signed_in, house):
    house.came(person("Amina"), 3)
    db.session.commit()
    signed_in("host")

    page = client.get("/host/follow-up?lang=ar").get_data(as_text=True)

    assert 'dir="rtl"' in page
    assert "Came for the first time" not in page and "Send a kind text" not in page


def test_a_long_list_comes_in_pages_latest_first(client, signed_in, house):
    for number in range(25):
        house.came(person(f"Person {number:02d}"), 50 + number)
    db.session.commit()
    signed_in("host")

    first = client.get("/host/follow-up").get_data(as_text=True)
    second = client.get("/host/follow-up?page=2").get_data(as_text=True)

    assert "Person 00" in first and "Person 19" in first and "Person 20" not in first
    assert "Person 20" in second and "Person 24" in second and "Person 00" not in second
    assert first.index("Person 00") < first.index("Person 01")
    assert 'rel="next"' in first


@pytest.mark.parametrize(
    "query", ["?reason=lost", "?page=abc", "?page=99999999999", "?show=x&reason=", "?page=0"]
)
def test_filters_that_cannot_be_read_show_the_list(client, signed_in, house, query):
    signed_in("host")
    assert client.get(f"/host/follow-up{query}").status_code == 200


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"participant": "abc"}, 400),
        ({"participant": "1" * 12}, 400),
        ({"participant": "1", "why": "lost", "occurrence": "x"}, 303),
        ({"participant": "999", "why": "no_show", "occurrence": "booking:1"}, 303),
    ],
)
def test_marks_that_cannot_be_read_are_refused_clearly(client, signed_in, house, fields, status):
    signed_in("host")
    for action in ("mark", "text"):
        response = post_form(
            client, "/host/follow-up", f"/host/follow-up/{action}", state="done", **fields
        )
        assert response.status_code == status
        if status == 303:
            assert "ikke på opfølgningslisten" in client.get(response.location).get_data(
                as_text=True
            )


def test_a_walk_in_from_the_waiting_list_moves_the_seats_version(app, tonight, host, clock):
    session = tonight("Amina", capacity=1)
    waiting = add_booking(session, person("Ole"), "waitlisted", at=NOW)
    db.session.commit()
    before = read_versions(db.session)

    mark_came(db.session, session, waiting.id, "came-tonight-ole-1", clock.now, host)
    db.session.commit()
    came = read_versions(db.session)
    mark_not_came(db.session, session, waiting.id, "not-came-tonight-ole-1", clock.now, host)
    db.session.commit()
    after = read_versions(db.session)

    assert before.seats < came.seats < after.seats
    assert before.program == after.program
