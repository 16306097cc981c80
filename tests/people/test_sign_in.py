"""Signing in and out: one answer for every wrong try, throttling, timeouts, sessions."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import AuditEvent, LoginAttempt
from tests.staff_fixtures import PASSWORD, csrf_from, post_form, sign_in


def test_sign_in_leads_to_the_overview(client, make_user):
    user = make_user("manager", name="Mette")
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.location.endswith("/staff/")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Hej <bdi>Mette</bdi>" in page
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "auth.login"))


def test_the_login_form_is_in_danish_and_english(client):
    assert "Log ind for personale" in client.get("/staff/login").get_data(as_text=True)
    assert "Sign in for staff" in client.get("/staff/login?lang=en").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user("host")
    wrong = sign_in(client, user.email, "not the password at all")
    unknown = sign_in(client, "nobody@havehus.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "E-mail eller adgangskode er forkert."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(client, make_user):
    user = make_user("host")

    def timed(email: str) -> float:
        started = time.perf_counter()
        sign_in(client, email, "not the password at all")
        return time.perf_counter() - started

    timed(user.email)  # warm up
    known = min(timed(user.email) for _ in range(3))
    unknown = min(timed("nobody@havehus.example") for _ in range(3))
    # Both verify an argon2 hash; without the dummy hash the unknown case would be ~10x faster.
    assert unknown > known / 3


def test_a_disabled_user_cannot_sign_in(client, make_user):
    user = make_user("host", active=False)
    response = sign_in(client, user.email)
    assert response.status_code == 401


def test_missing_csrf_token_is_refused(client, make_user):
    user = make_user("host")
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_ten_failures_for_one_account_throttle_it_but_the_form_stays(client, make_user):
    user = make_user("host")
    for _ in range(10):
        assert sign_in(client, user.email, "wrong wrong wrong").status_code == 401
    blocked = sign_in(client, user.email)  # even the right password now waits
    assert blocked.status_code == 429
    assert "Vent 15 minutter" in blocked.get_data(as_text=True)
    assert client.get("/staff/login").status_code == 200


def test_ten_failures_from_one_client_throttle_the_client(client, make_user):
    for n in range(10):
        sign_in(client, f"guess{n}@havehus.example", "wrong wrong wrong")
    user = make_user("host")
    assert sign_in(client, user.email).status_code == 429


def test_throttling_ends_after_fifteen_minutes(client, make_user, clock):
    user = make_user("host")
    old = clock.now - timedelta(minutes=16)
    db.session.add_all(
        LoginAttempt(email=user.email, ip="127.0.0.1", at=old, succeeded=False) for _ in range(10)
    )
    db.session.commit()
    assert sign_in(client, user.email).status_code == 302


def test_the_owner_sees_failed_attempts_at_the_next_sign_in(client, make_user):
    user = make_user("host")
    sign_in(client, user.email, "someone guessing")
    sign_in(client, user.email, "someone guessing again")
    response = sign_in(client, user.email)
    page = client.get(response.location).get_data(as_text=True)
    assert "2 mislykkede forsøg" in page


def test_next_goes_to_a_page_on_this_site_only(client, make_user):
    user = make_user("admin")
    client.get("/staff/login?next=/staff/users")
    assert sign_in(client, user.email).location.endswith("/staff/users")
    client.post("/staff/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client.get(f"/staff/login?next={evil}")
        assert sign_in(client, user.email).location.endswith("/staff/")
        client.post("/staff/logout", data={"csrf_token": csrf_from(client, "/staff/")})


def test_staff_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/staff/login" in response.location


def test_signing_in_starts_a_fresh_session(client, make_user):
    user = make_user("host")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:{user.session_generation}"


def test_sign_out(client, signed_in):
    signed_in("host")
    response = post_form(client, "/staff/", "/staff/logout")
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_cookie_saved_before_signing_out_opens_nothing_afterwards(client, signed_in):
    signed_in("manager")
    saved = client.get_cookie("session").value
    post_form(client, "/staff/", "/staff/logout")
    client.set_cookie("session", saved)  # replayed, as someone who copied it would
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert client.get("/staff/messages").status_code == 302


def test_signing_out_ends_only_this_browsers_session(app, client, signed_in):
    user = signed_in("host")
    other = app.test_client()
    sign_in(other, user.email)
    post_form(client, "/staff/", "/staff/logout")
    assert other.get("/staff/").status_code == 200


def _max_age(response) -> int:
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    return int(cookie.split("Max-Age=", 1)[1].split(";", 1)[0])


def test_the_session_cookie_lasts_no_longer_than_the_session(client, make_user, clock):
    user = make_user("host")
    response = sign_in(client, user.email)
    assert _max_age(response) == 30 * 60  # idle for 30 minutes ends it
    # Busy all day: the cookie still ends 12 hours after signing in.
    for _ in range(23):
        clock.advance(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200
    clock.advance(timedelta(minutes=29))  # 11 h 36 min after signing in
    assert _max_age(client.get("/staff/")) == 24 * 60


def test_idle_for_thirty_minutes_signs_out(client, signed_in):
    signed_in("host")
    with client.session_transaction() as session:
        session["seen_at"] -= 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_twelve_hours_after_sign_in_the_session_ends(client, signed_in):
    signed_in("host")
    with client.session_transaction() as session:
        session["signed_in_at"] -= 12 * 3600 + 1
    assert client.get("/staff/").status_code == 302


def test_activity_keeps_the_session_alive(client, signed_in, clock):
    signed_in("host")
    with client.session_transaction() as session:
        session["seen_at"] -= 29 * 60
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert session["seen_at"] == int(clock.now.timestamp())


def test_sign_out_everywhere_ends_other_sessions(app, client, signed_in):
    user = signed_in("manager")
    other = app.test_client()
    sign_in(other, user.email)
    assert other.get("/staff/").status_code == 200
    post_form(client, "/staff/", "/staff/logout-everywhere")
    assert other.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_disabled_user_with_an_open_session_is_signed_out_at_the_next_request(client, signed_in):
    user = signed_in("host")
    assert client.get("/staff/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("role", ["admin", "manager", "host", "partner"])
def test_every_role_reaches_its_overview(client, signed_in, role):
    signed_in(role)
    assert client.get("/staff/").status_code == 200


def test_failed_sign_ins_are_in_the_audit_trail(client, make_user):
    user = make_user("host")
    sign_in(client, user.email, "wrong wrong wrong")
    sign_in(client, "nobody@havehus.example", "wrong wrong wrong")
    count = db.session.scalar(select(func.count()).where(AuditEvent.action == "auth.login_failed"))
    assert count == 2


def test_hosts_see_the_coming_sessions_of_the_week_on_their_overview(
    client, signed_in, program, clock
):
    from tests.program_fixtures import NOW

    clock.set(NOW)  # Wednesday 2 December
    signed_in("host")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Sammen om maden" in page  # Thursday, still to come
    assert "Havehusmøde" in page  # staff-only sessions too
    assert "tirsdag 1. december" not in page  # Tuesday is over
    assert "/staff/sessions/" in page and "/bookings" in page


def test_partners_overview_has_no_session_list(client, signed_in, program):
    signed_in("partner")
    assert "/bookings" not in client.get("/staff/").get_data(as_text=True)
