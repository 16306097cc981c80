"""Pages that show someone's own data are not stored by browsers or proxies, and the secret in a
link never reaches the error log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from havehus.config import current_settings
from havehus.extensions import db
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.security import redact_path
from havehus.signup import me, services
from havehus.signup import tokens as signup_tokens
from tests.conftest import DEFAULT_NOW
from tests.signup.conftest import NOW


@pytest.fixture
def links(bookable, make_person) -> dict[str, str]:
    """A booking's own page and its person's "my bookings" page, with their real tokens."""
    person = make_person("Fatima")
    result = services.book(
        db.session,
        bookable(capacity=5),
        person,
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    booking_token = signup_tokens.booking_token(result.booking, current_settings())
    me_token = me.personal_token(db.session, person, NOW, current_settings())
    db.session.commit()
    return {
        "booking": f"/bookings/{booking_token}",
        "cancel": f"/bookings/{booking_token}/cancel",
        "me": f"/me/{me_token}",
        "me_token": me_token,
        "booking_token": booking_token,
    }


def test_a_persons_own_pages_are_not_stored(client, links):
    for page in ("booking", "cancel", "me"):
        response = client.get(links[page])
        assert response.status_code == 200, page
        assert response.headers["Cache-Control"] == "no-store", page


def test_staff_pages_are_not_stored(client, signed_in):
    assert client.get("/staff/login").headers["Cache-Control"] == "no-store"
    signed_in("manager")
    for page in ("/staff/", "/staff/messages", "/staff/devices"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["Cache-Control"] == "no-store", page


def test_answers_to_a_bearer_token_are_not_stored(client):
    _token, raw = create_api_token(db.session, "Partner", "partner", DEFAULT_NOW, CLI)
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_feeds_keep_their_caching(client, links):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    feed = client.get(links["me"] + ".ics")
    assert feed.status_code == 200
    assert feed.headers["Cache-Control"].startswith("private, max-age=")


def test_an_error_on_a_link_with_a_secret_logs_the_path_without_it(client, links, caplog):
    # The database loses a table the pages need: each of them fails, and is logged.
    db.session.execute(text("DROP TABLE feed_token"))
    db.session.commit()
    with caplog.at_level(logging.ERROR):
        for page in ("booking", "me"):
            assert client.get(links[page]).status_code == 500
        assert client.get(links["me"] + ".ics").status_code == 500
        assert client.get(f"/feeds/{links['me_token']}.ics").status_code == 500
    logged = caplog.text
    assert "Unhandled error on GET /bookings/…" in logged
    assert "Unhandled error on GET /me/…" in logged and "GET /me/….ics" in logged
    assert "GET /feeds/….ics" in logged
    assert links["me_token"] not in logged and links["booking_token"] not in logged


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/me/abc123", "/me/…"),
        ("/me/abc123.ics", "/me/….ics"),
        ("/me/abc123/reminders/4/withdraw", "/me/…/reminders/4/withdraw"),
        ("/bookings/abc123/cancel", "/bookings/…/cancel"),
        ("/feeds/abc123.ics", "/feeds/….ics"),
        ("/staff/invite/abc123", "/staff/invite/…"),
        ("/staff/feeds/7/revoke", "/staff/feeds/7/revoke"),
        ("/sessions/12", "/sessions/12"),
        ("/meeting/x", "/meeting/x"),
    ],
)
def test_the_secret_part_of_a_path_is_redacted(path, logged):
    assert redact_path(path) == logged
