"""Courses (enrolment): people sign up once for all the times; places are per course."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Activity, Booking, Session
from havehus.people.audit import Actor
from havehus.signup import me, services
from tests.conftest import DEFAULT_NOW
from tests.signup.conftest import NOW
from tests.signup.test_race import RACERS, _race
from tests.staff_fixtures import post_form

PUBLIC = Actor("public")


@pytest.fixture
def course(make_activity, make_session, make_location):
    """A course of four weekly times, the first two days ahead, with `places` places."""

    def make(places: int = 2, waitlist: bool = True) -> list[Session]:
        activity = make_activity(
            mode="enrolment", capacity=places, waitlist_enabled=waitlist, category="language",
            activity_type="course", title={"da": "Dansk på hverdagen", "en": "Everyday Danish"},
            location=make_location(slug=f"skolen-{places}-{waitlist}"),
        )  # fmt: skip
        sessions = [
            make_session(activity, NOW + timedelta(days=2, weeks=week)) for week in range(4)
        ]
        db.session.commit()
        return sessions

    return make


def _enrol(session, person):
    result = services.book(
        db.session, session, person, NOW, PUBLIC, source="web", settings=current_settings()
    )
    db.session.commit()
    return result


def test_one_sign_up_covers_every_time_of_the_course(any_app, course, make_person):
    first, second, *_ = course()
    person = make_person()
    result = _enrol(first, person)
    assert result.booking.activity_id == first.activity_id and result.booking.session_id is None
    again = _enrol(second, person)
    assert again.booking.id == result.booking.id and not again.created
    db.session.refresh(first.activity)
    assert first.activity.places_taken == 1
    assert first.seats_left == second.seats_left == 1  # places of the course, on every time


def test_a_full_course_has_a_waiting_list_and_promotes(any_app, course, make_person):
    first, *_ = course(places=1)
    seated = _enrol(first, make_person())
    waiting = _enrol(first, make_person())
    assert waiting.booking.status == "waitlisted" and waiting.position == 1
    promoted = services.cancel(db.session, seated.booking, NOW, PUBLIC, current_settings())
    db.session.commit()
    assert promoted.id == waiting.booking.id and promoted.status == "confirmed"
    db.session.refresh(first.activity)
    assert first.activity.places_taken == 1


def test_without_a_waiting_list_a_full_course_says_full(any_app, course, make_person):
    from havehus.errors import HavehusError

    first, *_ = course(places=1, waitlist=False)
    _enrol(first, make_person())
    with pytest.raises(HavehusError) as excinfo:
        _enrol(first, make_person())
    assert excinfo.value.code == "full"


@pytest.mark.slow
def test_racers_for_the_last_course_places_get_exactly_three(any_app, course, make_person):
    first, *_ = course(places=3, waitlist=False)
    people = [make_person(consent=False).id for _ in range(RACERS)]
    session_id = first.id
    db.session.commit()
    outcomes, leaks = _race(any_app, session_id, people)
    assert leaks == []
    assert outcomes.count("confirmed") == 3 and outcomes.count("full") == RACERS - 3
    db.session.expire_all()
    activity = db.session.scalar(select(Activity).join(Session).where(Session.id == session_id))
    enrolled = db.session.scalar(
        select(func.count()).where(
            Booking.activity_id == activity.id, Booking.status == "confirmed"
        )
    )
    assert activity.places_taken == enrolled == 3


def test_signing_up_for_a_course_on_the_web(client, course):
    first, *_ = course(places=5)
    page = client.get(f"/sessions/{first.id}").get_data(as_text=True)
    assert "Tilmeld dig hele forløbet" in page
    post_form(client, f"/sessions/{first.id}/signup", name="Olena", phone="20 55 66 77",
              language="da", sms_consent="y")  # fmt: skip
    from tests.signup.test_public_signup import _code_text

    response = post_form(client, "/signup/code", code=_code_text())
    booking_page = client.get(response.location).get_data(as_text=True)
    assert "hele forløbet" in booking_page
    booking = db.session.scalar(select(Booking))
    token = me.existing_personal_token(db.session, booking.participant, current_settings())
    mine = client.get(f"/me/{token}").get_data(as_text=True)
    assert "Dansk på hverdagen" in mine and "Hele forløbet" in mine


def test_staff_see_course_bookings_on_every_time(client, signed_in, course, make_person):
    signed_in("manager")
    first, second, *_ = course()
    _enrol(first, make_person("Tomasz"))
    page = client.get(f"/staff/sessions/{second.id}/bookings").get_data(as_text=True)
    assert "Tomasz" in page


def test_the_api_enrols_through_any_time_of_the_course(client, course, app):

    from havehus.people.audit import CLI
    from havehus.people.credentials import create_api_token

    first, second, *_ = course()
    _token, raw = create_api_token(db.session, "Kommunen", "host", DEFAULT_NOW, CLI)
    db.session.commit()
    response = client.post(
        f"/api/v1/sessions/{second.id}/bookings", json={"name": "Grace"},
        headers={"Authorization": f"Bearer {raw}"},
    )  # fmt: skip
    assert response.status_code == 201
    assert db.session.get(Booking, response.get_json()["id"]).activity_id == second.activity_id
