"""Fixture plugin: staff users and a browser-like sign-in that goes through the real forms."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

import pyotp
import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

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


class _Forms(HTMLParser):
    """The forms of a page with the fields a browser would send (no JavaScript)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "fields": [], "buttons": []})  # fmt: skip
        elif not self.forms:
            return
        elif tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "submit":
                self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))
                return
            self.forms[-1]["fields"].append(
                (a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else ""))
            )
        elif tag == "select" and "name" in a:
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1]["fields"].append((self._select, a.get("value", "")))
        elif tag == "textarea" and "name" in a:
            self.forms[-1]["fields"].append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def submit_page_form(client: FlaskClient, page: str, containing: str, **changes: str):
    """Submit the form on `page` whose HTML contains `containing`, exactly as a browser would.

    Every field the page renders is sent, duplicates included (a hidden field rendered twice is
    sent twice, and the server takes the first), with `changes` replacing or adding values.
    """
    html = client.get(page).get_data(as_text=True)
    chunks = html.split("<form")[1:]
    matching = [i for i, chunk in enumerate(chunks) if containing in chunk.split("</form>")[0]]
    assert len(matching) == 1, f"{len(matching)} forms on {page} contain {containing!r}"
    parser = _Forms()
    parser.feed(html)
    form = parser.forms[matching[0]]
    data = MultiDict(form["fields"])
    for key, value in changes.items():
        data.setlist(key, [value])
    scheme = client.application.config["PREFERRED_URL_SCHEME"]
    return client.open(
        form["action"] or page,
        method=form["method"].upper(),
        data=data,
        headers={"Referer": f"{scheme}://localhost{page}"},
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
