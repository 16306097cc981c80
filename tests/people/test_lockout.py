"""Wrong passwords from anywhere cannot lock the owner out: a browser that has signed in to the
account before keeps its own count, and admins are told when an account is under attack."""

from __future__ import annotations

from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AuditEvent
from havehus.people.auth import THROTTLE_LIMIT
from tests.staff_fixtures import post_form, sign_in

ATTACKER = "203.0.113.66"
HOUSE = "198.51.100.7"


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _owner_on_a_known_device(app, user):
    """The owner's browser, which signed in to the account before and then signed out."""
    owner = _from(app.test_client(), HOUSE)
    assert sign_in(owner, user.email).status_code == 302
    post_form(owner, "/staff/", "/staff/logout")
    return owner


def _attack(app, user, address: str = ATTACKER):
    attacker = _from(app.test_client(), address)
    for _ in range(THROTTLE_LIMIT):
        assert sign_in(attacker, user.email, "guess guess guess").status_code == 401
    return attacker


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out_of_a_known_device(app, make_user):
    user = make_user("manager")
    owner = _owner_on_a_known_device(app, user)
    attacker = _attack(app, user)

    assert sign_in(attacker, user.email).status_code == 429  # even the right password
    stranger = _from(app.test_client(), "192.0.2.50")  # a device never used for it
    assert sign_in(stranger, user.email).status_code == 429
    assert sign_in(owner, user.email).status_code == 302
    assert owner.get("/staff/").status_code == 200


def test_an_attacker_in_the_same_house_does_not_lock_the_owner_out_either(app, make_user):
    user = make_user("manager")
    owner = _owner_on_a_known_device(app, user)
    _attack(app, user, address=HOUSE)
    assert sign_in(owner, user.email).status_code == 302


def test_a_known_device_has_its_own_limit(app, make_user):
    user = make_user("host")
    owner = _owner_on_a_known_device(app, user)
    for _ in range(THROTTLE_LIMIT):
        assert sign_in(owner, user.email, "a typo a typo").status_code == 401
    assert sign_in(owner, user.email).status_code == 429
    # Its typos are its own: the account stays open to the owner's other browsers.
    assert sign_in(_from(app.test_client(), "192.0.2.51"), user.email).status_code == 302


def test_a_device_is_known_only_to_the_account_it_signed_in_to(app, make_user):
    user, other = make_user("host"), make_user("host")
    owner = _owner_on_a_known_device(app, user)
    _attack(app, other)
    assert sign_in(owner, other.email).status_code == 429


def test_a_forged_or_copied_device_cookie_is_not_a_known_device(app, make_user):
    user, other = make_user("host"), make_user("host")
    owner = _owner_on_a_known_device(app, user)
    _attack(app, user)
    _attack(app, other, address="203.0.113.67")
    mine = owner.get_cookie(f"havehus_device_{user.id}", path="/staff")
    # The right cookie under another account's name, and a made-up one.
    thief = _from(app.test_client(), "192.0.2.52")
    thief.set_cookie(f"havehus_device_{other.id}", mine.value, path="/staff")
    assert sign_in(thief, other.email).status_code == 429
    thief.set_cookie(mine.key, "made-up", path="/staff")
    assert sign_in(thief, user.email).status_code == 429


def test_admins_are_told_once_when_an_account_is_locked(app, client, make_user):
    user = make_user("manager")
    attacker = _attack(app, user)
    for _ in range(3):
        sign_in(attacker, user.email, "more guessing")  # refused unread: no new event

    locked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.account_locked")
    ).all()
    assert len(locked) == 1
    assert locked[0].target_id == str(user.id) and locked[0].ip == ATTACKER

    admin = make_user("admin")
    assert sign_in(client, admin.email).status_code == 302
    page = client.get("/staff/").get_data(as_text=True)
    assert user.email in page and "/staff/audit?action=auth." in page
    manager = _from(app.test_client(), HOUSE)
    sign_in(manager, make_user("manager").email)
    assert user.email not in manager.get("/staff/").get_data(as_text=True)
