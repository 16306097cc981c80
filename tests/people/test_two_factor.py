"""Two-factor sign-in with TOTP and recovery codes."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import AuditEvent, RecoveryCode
from havehus.people.auth import THROTTLE_LIMIT, check_second_factor_step
from tests.conftest import build_app
from tests.staff_fixtures import post_form, sign_in, totp_code


def _enable(client, clock) -> tuple[str, list[str]]:
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7]+)</code>', page).group(1)
    response = post_form(client, "/staff/account/two-factor", code=totp_code(secret, clock.now))
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.get_data(as_text=True)
    )
    return secret, codes


def test_turning_on_shows_a_qr_code_and_ten_recovery_codes_once(client, signed_in, clock):
    user = signed_in("host")
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "Scan denne kode" in page
    secret, codes = _enable(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(user)
    assert user.totp_secret == secret
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    assert "Totrinslogin er slået til" in client.get("/staff/account/two-factor").get_data(
        as_text=True
    )


def test_a_wrong_code_does_not_turn_it_on(client, signed_in):
    user = signed_in("host")
    client.get("/staff/account/two-factor")
    response = post_form(client, "/staff/account/two-factor", code="000000")
    assert response.status_code == 400
    assert "Koden er forkert" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret is None


def test_sign_in_then_asks_for_the_code(app, client, signed_in, clock):
    user = signed_in("manager")
    secret, _codes = _enable(client, clock)
    other = app.test_client()
    first = sign_in(other, user.email)
    assert first.status_code == 302 and first.location.endswith("/staff/login/code")
    assert other.get("/staff/").status_code == 302  # not signed in yet
    step = pyotp.TOTP(secret).timecode(clock.now) + 1  # the next, unused step
    code = pyotp.TOTP(secret).generate_otp(step)
    done = post_form(other, "/staff/login/code", code=code)
    assert done.status_code == 302
    assert other.get("/staff/").status_code == 200


def test_a_code_cannot_be_used_twice(app, client, signed_in, clock):
    user = signed_in("manager")
    secret, _codes = _enable(client, clock)  # that code's step is now used
    other = app.test_client()
    sign_in(other, user.email)
    reused = post_form(other, "/staff/login/code", code=totp_code(secret, clock.now))
    assert reused.status_code == 401
    assert "allerede brugt" in reused.get_data(as_text=True)


def test_a_recovery_code_works_once(app, client, signed_in, clock):
    user = signed_in("manager")
    _secret, codes = _enable(client, clock)
    first = app.test_client()
    sign_in(first, user.email)
    assert post_form(first, "/staff/login/code", code=codes[0]).status_code == 302
    second = app.test_client()
    sign_in(second, user.email)
    assert post_form(second, "/staff/login/code", code=codes[0]).status_code == 401


def test_wrong_codes_are_recorded_and_ten_of_them_stop_even_a_right_one(app, make_user, clock):
    user = make_user("manager", totp_secret=pyotp.random_base32())
    for _try in range(THROTTLE_LIMIT):
        with pytest.raises(HavehusError) as wrong:
            check_second_factor_step(db.session, user, "wrong", "192.0.2.1", clock.now)
        assert wrong.value.code == "invalid_code"
    right = totp_code(user.totp_secret, clock.now)
    with pytest.raises(HavehusError) as blocked:
        check_second_factor_step(db.session, user, right, "192.0.2.1", clock.now)
    assert blocked.value.code == "throttled"
    failed = select(func.count()).where(AuditEvent.action == "auth.second_factor_failed")
    assert db.session.scalar(failed) == THROTTLE_LIMIT


def test_the_code_step_expires_after_five_minutes(app, client, signed_in, clock):
    user = signed_in("manager")
    secret, _codes = _enable(client, clock)
    other = app.test_client()
    sign_in(other, user.email)
    with other.session_transaction() as session:
        session["second_factor"]["at"] -= 301
        session.modified = True
    response = other.get("/staff/login/code")
    assert response.status_code == 302 and response.location.endswith("/staff/login")


def test_turning_it_off_in_development(client, signed_in, clock):
    user = signed_in("host")
    _enable(client, clock)
    response = post_form(client, "/staff/account/two-factor", "/staff/account/two-factor/disable")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None


@pytest.fixture
def production_client(sqlite_url, clock):
    from havehus.database import reset_transaction_mode, set_transaction_mode

    app = build_app(sqlite_url, clock, env="production", secret_key="p" * 40, sms_backend="twilio")
    token = set_transaction_mode(read_only=True)
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.session.remove()
    reset_transaction_mode(token)


@pytest.mark.parametrize(("role", "forced"), [("manager", True), ("admin", True), ("host", False)])
def test_production_requires_two_factor_for_admin_and_manager(
    production_client, make_user, role, forced
):
    user = make_user(role)
    response = sign_in(production_client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    landing = production_client.get("/staff/")
    if forced:
        assert response.location.endswith("/staff/account/two-factor")
        assert landing.status_code == 302 and landing.location.endswith("/staff/account/two-factor")
    else:
        assert landing.status_code == 200


def test_production_refuses_to_turn_it_off_for_a_manager(production_client, make_user, clock):
    user = make_user("manager")
    sign_in(production_client, user.email)
    _enable(production_client, clock)
    response = post_form(
        production_client, "/staff/account/two-factor", "/staff/account/two-factor/disable"
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is not None
