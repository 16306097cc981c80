"""Administrators invite users, change roles, disable them and reset passwords."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AuditEvent, StaffInvite, StaffUser
from tests.staff_fixtures import post_form, sign_in

NEW_PASSWORD = "the garden needs rain today"


def _link(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r'value="(http[^"]+/staff/invite/[^"]+)"', page).group(1)


def _invite(client, email="ny@havehus.example", role="host") -> str:
    response = post_form(client, "/staff/users/new", email=email, name="Ny", role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    return _link(response).split("havehus.test", 1)[1]


def test_a_new_user_is_invited_sets_a_password_and_signs_in(app, client, signed_in):
    signed_in("admin")
    path = _invite(client)
    newcomer = app.test_client()
    page = newcomer.get(path).get_data(as_text=True)
    assert "ny@havehus.example" in page
    response = post_form(newcomer, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/staff/login")
    assert sign_in(newcomer, "ny@havehus.example", NEW_PASSWORD).status_code == 302
    assert newcomer.get("/staff/").status_code == 200


def test_an_invite_link_works_once(app, client, signed_in):
    signed_in("admin")
    path = _invite(client)
    newcomer = app.test_client()
    post_form(newcomer, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    again = newcomer.get(path)
    assert again.status_code == 410
    assert "Linket er udløbet" in again.get_data(as_text=True)


def test_an_expired_invite_is_refused(app, client, signed_in):
    signed_in("admin")
    path = _invite(client)
    invite = db.session.scalar(select(StaffInvite))
    invite.expires_at -= timedelta(days=8)
    db.session.commit()
    assert app.test_client().get(path).status_code == 410


def test_a_weak_password_is_refused_next_to_the_field(app, client, signed_in):
    signed_in("admin")
    path = _invite(client)
    newcomer = app.test_client()
    response = post_form(newcomer, path, password="password2024!", confirm="password2024!")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page and "for almindelig" in page
    assert 'aria-describedby="password-hint password-error"' in page


def test_an_invitation_for_a_taken_email_is_refused(client, signed_in, make_user):
    signed_in("admin")
    make_user("host", email="taken@havehus.example")
    response = post_form(client, "/staff/users/new", email="taken@havehus.example", role="host")
    assert response.status_code == 400
    assert "findes allerede" in response.get_data(as_text=True)


def test_changing_a_role_is_audited_and_signs_the_user_out(app, client, signed_in, make_user):
    signed_in("admin")
    host = make_user("host")
    other = app.test_client()
    sign_in(other, host.email)
    response = post_form(
        client, f"/staff/users/{host.id}", f"/staff/users/{host.id}/role", role="manager"
    )
    assert response.status_code == 302
    db.session.refresh(host)
    assert host.role == "manager"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))
    assert event.details == {"from": "host", "to": "manager"}
    assert other.get("/staff/").status_code == 302


def test_the_last_admin_keeps_the_role(client, signed_in):
    admin = signed_in("admin")
    response = post_form(
        client, f"/staff/users/{admin.id}", f"/staff/users/{admin.id}/role", role="host"
    )
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.role == "admin"
    assert "sidste administrator" in client.get(response.location).get_data(as_text=True)


def test_disabling_a_user_signs_them_out_and_keeps_them_out(app, client, signed_in, make_user):
    signed_in("admin")
    host = make_user("host")
    other = app.test_client()
    sign_in(other, host.email)
    post_form(client, f"/staff/users/{host.id}", f"/staff/users/{host.id}/active", active="0")
    assert other.get("/staff/").status_code == 302
    assert sign_in(other, host.email).status_code == 401
    post_form(client, f"/staff/users/{host.id}", f"/staff/users/{host.id}/active", active="1")
    assert sign_in(other, host.email).status_code == 302


def test_a_reset_link_sets_a_new_password(app, client, signed_in, make_user):
    signed_in("admin")
    host = make_user("host")
    response = post_form(client, f"/staff/users/{host.id}", f"/staff/users/{host.id}/reset")
    path = _link(response).split("havehus.test", 1)[1]
    other = app.test_client()
    post_form(other, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert sign_in(other, host.email, NEW_PASSWORD).status_code == 302


def test_users_list_is_paginated(client, signed_in, make_user):
    signed_in("admin")
    for _ in range(55):
        db.session.add(StaffUser(email=f"u{_}@x.dk", role="host", created_at=db.func.now()))
    db.session.commit()
    first = client.get("/staff/users").get_data(as_text=True)
    assert "Side 1 af 2" in first and 'href="/staff/users?page=2"' in first


def test_changing_your_own_password(client, signed_in):
    user = signed_in("host")
    response = post_form(
        client,
        "/staff/account/password",
        current="correct horse battery staple",
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    assert response.status_code == 302
    wrong = post_form(
        client, "/staff/account/password", current="nope nope nope", password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )  # fmt: skip
    assert wrong.status_code == 400 and "nuværende adgangskode er forkert" in wrong.get_data(
        as_text=True
    )
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
