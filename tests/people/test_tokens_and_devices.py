"""API tokens and kiosk devices: shown once, stored hashed, revoked at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import ApiToken, AuditEvent, KioskDevice
from havehus.people.access import KIOSK_COOKIE
from havehus.people.credentials import find_kiosk
from havehus.security import hash_token
from tests.conftest import DEFAULT_NOW
from tests.staff_fixtures import post_form, sign_in


def _create_token(client, role="partner", name="Social Sundhed") -> str:
    response = post_form(client, "/staff/tokens", name=name, role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'id="token" [^>]*value="(hh_[^"]+)"', response.get_data(as_text=True)).group(
        1
    )


def test_a_token_is_shown_once_and_stored_hashed(client, signed_in):
    signed_in("manager")
    raw = _create_token(client)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert len(raw) >= 40  # 256 random bits
    listing = client.get("/staff/tokens").get_data(as_text=True)
    assert raw not in listing and token.prefix in listing


def test_a_token_opens_the_api_until_it_is_revoked(client, signed_in):
    signed_in("manager")
    raw = _create_token(client)
    headers = {"Authorization": f"Bearer {raw}"}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"name": "Social Sundhed", "role": "partner"}
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is not None

    post_form(client, "/staff/tokens", f"/staff/tokens/{token.id}/revoke")
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401
    assert revoked.get_json()["code"] == "unauthorized"
    assert "Bearer" in revoked.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic dXNlcjpwdw=="])
def test_missing_or_wrong_tokens_are_refused(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401


def test_a_manager_cannot_make_an_admin_token(client, signed_in):
    signed_in("manager")
    response = post_form(client, "/staff/tokens", name="Sneaky", role="admin")
    assert response.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_hosts_and_partners_cannot_manage_tokens_or_devices(client, signed_in):
    signed_in("host")
    assert client.get("/staff/tokens").status_code == 403
    assert client.get("/staff/devices").status_code == 403


def test_create_token_cli_prints_only_the_token(app):
    result = app.test_cli_runner().invoke(
        args=["create-token", "--name", "Kommunen", "--role", "partner"]
    )
    assert result.exit_code == 0
    raw = result.output.strip()
    assert raw.startswith("hh_") and "\n" not in raw
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hash_token(raw) and token.role == "partner"
    assert db.session.scalar(select(AuditEvent.action)) == "token.create"


def _kiosk_cookie(response) -> str:
    """The device token the enrolment's answer gives the tablet."""
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(KIOSK_COOKIE))
    assert "HttpOnly" in cookie and "Max-Age=" in cookie
    return cookie.split(";", 1)[0].split("=", 1)[1]


def test_enrolling_a_kiosk_sets_a_long_lived_device_cookie(client, signed_in, make_location):
    user = signed_in("manager")
    house = make_location()
    db.session.commit()
    response = post_form(client, "/staff/devices", name="Tablet i gangen", location=str(house.id))
    assert response.status_code == 302 and response.location.endswith("/kiosk")
    device = find_kiosk(db.session, _kiosk_cookie(response), DEFAULT_NOW)
    assert device is not None and device.name == "Tablet i gangen"
    sign_in(client, user.email)
    listing = client.get("/staff/devices").get_data(as_text=True)
    assert "Tablet i gangen" in listing and "Havehuset" in listing


def test_enrolling_a_kiosk_signs_the_manager_out_on_it(client, signed_in):
    signed_in("manager")
    staff_cookie = client.get_cookie("session").value
    response = post_form(client, "/staff/devices", name="Tablet", location="0")
    assert response.status_code == 302 and response.location.endswith("/kiosk")

    assert client.get("/kiosk").status_code == 200
    for page in ("/staff/messages", "/staff/devices", "/staff/"):
        assert client.get(page).status_code == 302, page
    # Nor does the cookie the tablet had before enrolment open anything any more.
    client.set_cookie("session", staff_cookie)
    assert client.get("/staff/messages").status_code == 302


def test_a_revoked_kiosk_stops_working_at_once(client, signed_in):
    user = signed_in("manager")
    response = post_form(client, "/staff/devices", name="Tablet", location="0")
    raw = _kiosk_cookie(response)
    device = db.session.scalar(select(KioskDevice))
    sign_in(client, user.email)
    post_form(client, "/staff/devices", f"/staff/devices/{device.id}/revoke")
    db.session.expire_all()
    assert find_kiosk(db.session, raw, DEFAULT_NOW) is None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"kiosk.enrol", "kiosk.revoke"} <= actions


def test_a_kiosk_name_is_required(client, signed_in):
    signed_in("manager")
    response = post_form(client, "/staff/devices", name="", location="0")
    assert response.status_code == 400
    assert db.session.scalar(select(KioskDevice)) is None
