"""Kiosk "I am here": an enrolled tablet checks people in, by number or anonymously."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from havehus.config import change_settings
from havehus.extensions import db
from havehus.models import Tally, Visit
from havehus.people.access import KIOSK_COOKIE
from havehus.people.audit import CLI
from havehus.people.credentials import enrol_kiosk
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant
from tests.privacy_scan import places_holding
from tests.staff_fixtures import post_form

NOW = DEFAULT_NOW


def _enrol(client) -> None:
    _device, raw = enrol_kiosk(db.session, "Tablet in the hall", None, NOW, CLI)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, raw)


def _pad(session) -> str:
    return f"/kiosk/sessions/{session.id}/here"


def _type(client, session, digits: str):
    """Tap the pad one digit at a time, as a browser without JavaScript does, then "check me
    in"."""
    for digit in digits:
        assert post_form(client, _pad(session), digit=digit).status_code == 302
    return post_form(client, _pad(session), step="next")


def _without_number(client, session):
    return post_form(client, _pad(session), step="anonymous")


def _adults(session) -> int:
    db.session.commit()
    found = db.session.scalar(
        select(Tally.count).where(Tally.session_id == session.id, Tally.kind == "adults")
    )
    return found or 0


def _visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit)) or 0


def _booked(session, name: str, phone: str):
    booking = add_booking(session, add_participant(name, at=NOW, phone=phone), at=NOW)
    db.session.commit()
    return booking


def test_the_start_page_offers_i_am_here_for_every_session_on_now(client, tonight):
    """A sign-up session without walk-ins too: its booked people check in with their number."""
    session = tonight()
    _enrol(client)

    start = client.get("/kiosk").get_data(as_text=True)

    assert f'href="/kiosk/sessions/{session.id}/here"' in start
    pad = client.get(_pad(session)).get_data(as_text=True)
    assert 'value="anonymous"' in pad and 'name="digit"' in pad


def test_i_am_here_with_a_number_marks_the_booking_and_names_nobody(client, tonight):
    session = tonight()
    amina = _booked(session, "Amina", "+4520123456")
    _enrol(client)

    response = _type(client, session, "20123456")
    welcome = client.get(response.location).get_data(as_text=True)

    assert response.location == "/kiosk/here/welcome"
    db.session.refresh(amina)
    assert amina.status == "attended"
    visit = db.session.scalar(select(Visit))
    assert visit.source == "kiosk" and visit.recorded_by_id is None
    assert "Velkommen! Tak fordi du kom." in welcome
    for trace in ("Amina", "20123456", "+4520123456", "56"):
        assert trace not in welcome.split("<main", 1)[1].split("</main>")[0]
    assert client.get("/kiosk/here/welcome").status_code == 302  # shown once


def test_an_unknown_number_counts_one_anonymous_adult_with_the_same_welcome(app, tonight):
    session = tonight()
    _booked(session, "Amina", "+4520123456")
    answers = []
    for digits in ("20123456", "20998877"):
        client = app.test_client()
        _enrol(client)
        response = _type(client, session, digits)
        welcome = client.get(response.location).get_data(as_text=True)
        answers.append((response.status_code, response.location, welcome))

    assert answers[0] == answers[1]
    assert _visits() == 1 and _adults(session) == 1


def test_without_a_number_each_person_counts_once_even_when_the_tap_is_sent_twice(any_app, tonight):
    client = any_app.test_client()
    session = tonight()
    _enrol(client)
    client.get(_pad(session))
    cookie = client.get_cookie("session").value  # the screen's state, with its check-in key

    first = _without_number(client, session)
    client.set_cookie("session", cookie)  # the same tap again: a retry on a bad connection
    retried = _without_number(client, session)
    client.get("/kiosk")
    next_person = _without_number(client, session)

    assert first.location == retried.location == next_person.location == "/kiosk/here/welcome"
    assert _adults(session) == 2
    db.session.refresh(session)
    assert session.seats_taken == 0  # someone who just came never takes a booked seat


def test_a_number_that_is_not_a_phone_number_is_refused_on_the_pad(client, tonight):
    session = tonight()
    _enrol(client)

    response = post_form(client, _pad(session), keys="123", step="next")

    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert _adults(session) == 0 and _visits() == 0


def test_the_idle_reset_forgets_the_typed_number(client, tonight):
    session = tonight()
    _enrol(client)
    post_form(client, _pad(session), keys="201234")

    client.get("/kiosk")

    pad = client.get(_pad(session)).get_data(as_text=True)
    assert "•" not in pad and "34" not in pad.split("kiosk-display__value")[1][:80]


def test_the_sign_up_pad_and_the_check_in_pad_keep_their_own_digits(app, client, tonight, clock):
    change_settings(app, signup_closes_minutes=0)
    session = tonight(capacity=20)
    clock.set(session.starts_at - timedelta(minutes=10))  # open for both
    _enrol(client)
    post_form(client, _pad(session), keys="2012")

    phone = client.get(f"/kiosk/sessions/{session.id}/phone").get_data(as_text=True)

    assert "•" not in phone.split("kiosk-display__value")[1][:80]


def test_only_an_enrolled_tablet_checks_people_in(client, tonight):
    session = tonight()

    assert client.get(_pad(session)).status_code == 403
    # The start page has no form for a browser that may not check in; any page's CSRF token
    # will do (it belongs to the browser's session), as a forged request would have it.
    assert post_form(client, "/staff/login", _pad(session), step="anonymous").status_code == 403
    assert "Jeg er her" not in client.get("/kiosk").get_data(as_text=True)
    assert _adults(session) == 0


def test_i_am_here_is_refused_when_the_session_is_not_on(client, tonight, clock):
    session = tonight()
    _enrol(client)
    clock.set(session.ends_at + timedelta(minutes=1))

    page = client.get(_pad(session))
    response = post_form(client, "/staff/login", _pad(session), step="anonymous")

    assert page.status_code == response.status_code == 409
    assert "mens det foregår" in response.get_data(as_text=True)
    assert 'name="digit"' not in response.get_data(as_text=True)
    assert _adults(session) == 0


def test_the_kiosk_pages_speak_arabic_right_to_left(client, tonight):
    session = tonight()
    _enrol(client)

    page = client.get(f"{_pad(session)}?lang=ar").get_data(as_text=True)

    assert 'lang="ar" dir="rtl"' in page
    assert "أهلًا" in page
    assert '<div class="kiosk-keys" dir="ltr">' in page


def test_an_unnamed_check_in_keeps_no_number_anywhere(client, tonight):
    """A number nobody has counts one anonymous adult: the number is in no table, no cookie."""
    session = tonight()
    _enrol(client)

    response = _type(client, session, "20998811")
    client.get(response.location)

    assert _adults(session) == 1
    assert places_holding("20998811") == set()
    with client.session_transaction() as kept:  # the kiosk's own cookie, decoded
        assert "20998811" not in json.dumps(dict(kept), default=str)
