"""Fixture plugin: staff users and a browser-like sign-in that goes through the real forms."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
import pytest
from flask.testing import FlaskClient

from havehus.extensions import db
from havehus.models import StaffUser
from havehus.people.services import create_staff_user

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on a page, as a browser would have it."""
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return ""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, page: str, action: str | None = None, **data: str):
    """Submit the form on `page` (to `action`, default the page itself) with its CSRF token."""
    token = csrf_from(client, page)
    # Browsers send the page as Referer; over https Flask-WTF insists on it (same origin).
    scheme = client.application.config["PREFERRED_URL_SCHEME"]
    referer = f"{scheme}://localhost{page}"
    return client.post(
        action or page, data={"csrf_token": token, **data}, headers={"Referer": referer}
    )


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, code: str | None = None):
    response = post_form(client, "/staff/login", email=email, password=password)
    if code is not None and response.status_code == 302 and "/login/code" in response.location:
        response = post_form(client, "/staff/login/code", code=code)
    return response


@pytest.fixture
def make_user() -> Callable[..., StaffUser]:
    counter = itertools.count(1)

    def make(role: str = "manager", *, password: str | None = PASSWORD, **fields) -> StaffUser:
        email = fields.pop("email", f"{role}{next(counter)}@havehus.example")
        user = create_staff_user(
            db.session, email, role, password, datetime(2026, 1, 1, tzinfo=UTC), name=role.title()
        )
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return make


@pytest.fixture
def signed_in(client, make_user) -> Callable[[str], StaffUser]:
    """Sign the test client in as a new user with the given role."""

    def as_role(role: str) -> StaffUser:
        user = make_user(role)
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return as_role


def totp_code(secret: str, at: datetime) -> str:
    """The authenticator app's code at `at` (the test's clock)."""
    return pyotp.TOTP(secret).at(at)
