"""Partner and personal feeds: what each holds, what never leaks, and dead tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from havehus.config import current_settings
from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token, revoke_feed_token
from havehus.models import FeedToken
from havehus.people.audit import Actor
from havehus.signup import services as signup_services
from tests.feeds.conftest import NOW, expected, in_window, occurrences, parse


@pytest.fixture
def bookings(house, make_participant, book):
    """Two residents with bookings, so there is personal data that must not leak."""
    amina = make_participant("Amina Hassan", "+4520123456")
    bo = make_participant("Bo Jensen", "+4531234567")
    dinner = house.on(house.dinner, NOW.date() + timedelta(days=2))
    vaccination = house.on(house.vaccination, NOW.date() + timedelta(days=3))
    book(amina, dinner)
    book(amina, vaccination)
    book(bo, vaccination)
    book(bo, house.on(house.dinner, NOW.date() + timedelta(days=9)), status="waitlisted")
    book(bo, house.on(house.dinner, NOW.date() + timedelta(days=16)), status="cancelled")
    db.session.commit()
    return amina, bo


def _partner_token(categories=(), language="da") -> str:
    _token, raw = create_feed_token(
        db.session,
        "partner",
        NOW,
        name="Sundhedsplejen",
        language=language,
        categories=categories,
    )
    db.session.commit()
    return raw


def _personal_token(participant) -> str:
    _token, raw = create_feed_token(
        db.session, "personal", NOW, name="", language="da", participant_id=participant.id
    )
    db.session.commit()
    return raw


def test_partner_feed_adds_partner_sessions_but_never_staff_ones(house, bookings, feed_client):
    response = feed_client.get(f"/feeds/{_partner_token()}.ics")
    wanted = [
        *house.sessions(house.walk),
        *house.sessions(house.dinner),
        *house.sessions(house.vaccination),
        *house.sessions(house.partners_only),
    ]

    assert occurrences(response.data) == expected(in_window(wanted))
    assert "X-WR-CALNAME:Havehuset – Sundhedsplejen" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, max-age=3600"


def test_partner_feed_is_limited_to_its_categories(house, feed_client):
    response = feed_client.get(f"/feeds/{_partner_token(categories=['food', 'meeting'])}.ics")
    wanted = [*house.sessions(house.dinner), *house.sessions(house.partners_only)]

    assert occurrences(response.data) == expected(in_window(wanted))


def test_partner_feed_shows_seats_left_but_no_person_and_no_sensitive_count(
    house, bookings, feed_client
):
    body = feed_client.get(f"/feeds/{_partner_token()}.ics").get_data(as_text=True)
    calendar = parse(body.encode())
    dinner = house.on(house.dinner, NOW.date() + timedelta(days=2))
    event = next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == dinner.uid)

    assert "19 pladser tilbage" in str(event["DESCRIPTION"])
    for secret in ("Amina", "Hassan", "Bo Jensen", "+4520123456", "20123456", "+4531234567"):
        assert secret not in body
    vaccination = [e for e in calendar.walk("VEVENT") if "vaccination" in str(e["SUMMARY"])]
    assert vaccination
    assert all("plads" not in str(e["DESCRIPTION"]) for e in vaccination)


def test_public_feeds_carry_no_personal_data(house, bookings, feed_client):
    for path in ("/calendar.ics", "/calendar/health.ics", "/activities/sammen-om-maden.ics"):
        body = feed_client.get(path).get_data(as_text=True)
        for secret in ("Amina", "Hassan", "Bo Jensen", "+4520123456", "+4531234567"):
            assert secret not in body


def test_a_booking_changes_the_partner_feed_without_a_program_change(
    house, bookings, feed_client, make_participant
):
    path = f"/feeds/{_partner_token(categories=['food'])}.ics"
    before = feed_client.get(path)

    dinner = house.on(house.dinner, NOW.date() + timedelta(days=2))
    carl = make_participant("Carl", "+4520777888")
    signup_services.book(
        db.session, dinner, carl, NOW, Actor("public"), source="web", settings=current_settings()
    )
    db.session.commit()
    after = feed_client.get(path, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    event = next(e for e in parse(after.data).walk("VEVENT") if e["UID"] == dinner.uid)
    assert "18 pladser tilbage" in str(event["DESCRIPTION"])


def test_a_booking_and_its_cancellation_leave_the_public_feeds_alone(
    house, bookings, feed_client, make_participant
):
    """They show no seats: a booking must not rebuild them (only the seats version moves)."""
    paths = ("/calendar.ics", "/calendar/food.ics", "/activities/sammen-om-maden.ics")
    before = {path: feed_client.get(path).headers["ETag"] for path in paths}

    dinner = house.on(house.dinner, NOW.date() + timedelta(days=2))
    carl = make_participant("Carl", "+4520777888")
    booked = signup_services.book(
        db.session, dinner, carl, NOW, Actor("public"), source="web", settings=current_settings()
    )
    db.session.commit()
    for path in paths:
        assert feed_client.get(path, headers={"If-None-Match": before[path]}).status_code == 304
    signup_services.cancel(db.session, booked.booking, NOW, Actor("public"), current_settings())
    db.session.commit()
    for path in paths:
        assert feed_client.get(path, headers={"If-None-Match": before[path]}).status_code == 304


def test_personal_feed_holds_own_live_bookings_with_neutral_title(house, bookings, feed_client):
    amina, bo = bookings
    response = feed_client.get(f"/me/{_personal_token(bo)}.ics")
    body = response.get_data(as_text=True)
    vaccination = house.on(house.vaccination, NOW.date() + timedelta(days=3))
    waitlisted = house.on(house.dinner, NOW.date() + timedelta(days=9))

    def title(session):
        return "Aftale i Havehuset" if session.activity.sensitive else session.activity.title["da"]

    assert occurrences(response.data) == expected([vaccination, waitlisted], title)
    assert "vaccination" not in body.lower()
    assert "venteliste" in body
    assert "X-WR-CALNAME:Havehuset – mine tilmeldinger" in body
    event = next(e for e in parse(response.data).walk("VEVENT") if e["UID"] == vaccination.uid)
    assert "URL" not in event and "CATEGORIES" not in event
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert "Bo Jensen" not in body and "+4531234567" not in body


def test_personal_feed_without_bookings_is_a_valid_empty_calendar(
    house, feed_client, make_participant
):
    nobody = make_participant("Dina")
    db.session.commit()
    response = feed_client.get(f"/me/{_personal_token(nobody)}.ics")
    calendar = parse(response.data)

    assert response.status_code == 200
    assert calendar.name == "VCALENDAR"
    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert occurrences(response.data) == []


def test_a_new_booking_changes_the_personal_feed(house, bookings, feed_client, book):
    amina, _bo = bookings
    path = f"/me/{_personal_token(amina)}.ics"
    before = feed_client.get(path)

    later_dinner = house.on(house.dinner, NOW.date() + timedelta(days=23))
    book(amina, later_dinner)
    db.session.commit()
    after = feed_client.get(path, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert later_dinner.uid in after.get_data(as_text=True)


def test_unknown_revoked_and_wrong_kind_tokens_all_get_the_same_404(house, bookings, feed_client):
    amina, _bo = bookings
    partner = _partner_token()
    personal = _personal_token(amina)
    revoked = _partner_token()
    token = db.session.scalar(db.select(FeedToken).order_by(FeedToken.id.desc()))
    revoke_feed_token(db.session, token, NOW + timedelta(days=1))
    db.session.commit()

    paths = (
        f"/feeds/{revoked}.ics",
        f"/feeds/{'x' * 43}.ics",
        f"/feeds/{personal}.ics",
        f"/me/{partner}.ics",
    )
    answers = [feed_client.get(path) for path in paths]

    assert [answer.status_code for answer in answers] == [404] * 4
    # The same page, but for the address itself (the language switch links back to it).
    pages = {
        a.get_data(as_text=True).replace(p, "PATH") for a, p in zip(answers, paths, strict=True)
    }
    assert len(pages) == 1
    assert feed_client.get(f"/feeds/{partner}.ics").status_code == 200


def test_feed_token_language_is_used_unless_lang_says_otherwise(house, feed_client):
    raw = _partner_token(categories=["walking"], language="en")

    english = occurrences(feed_client.get(f"/feeds/{raw}.ics").data)
    danish = occurrences(feed_client.get(f"/feeds/{raw}.ics?lang=da").data)

    assert {row[1] for row in english} == {"Walking group"}
    assert {row[1] for row in danish} == {"Gå-fællesskab"}


def test_fetching_a_feed_notes_when_its_token_was_last_used(house, feed_client):
    raw = _partner_token()
    feed_client.get(f"/feeds/{raw}.ics")

    db.session.expire_all()
    token = db.session.scalar(db.select(FeedToken))
    assert token.last_used_at == NOW
