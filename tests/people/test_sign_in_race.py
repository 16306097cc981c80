"""Thirty parallel wrong tries at one account get no more evaluated than the limit, on both
databases: the count of failed tries is kept atomically, not read and then written."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import LoginAttempt, StaffUser
from havehus.people import auth
from tests.conftest import DEFAULT_NOW
from tests.racing import race
from tests.staff_fixtures import totp_code

RACERS = 30
ADDRESS = "192.0.2.1"


def _failed_tries(email: str) -> int:
    db.session.expire_all()
    query = select(func.count()).where(LoginAttempt.email == email, ~LoginAttempt.succeeded)
    return db.session.scalar(query) or 0


def test_thirty_parallel_wrong_passwords_get_ten_evaluated(any_app, make_user):
    email = make_user("manager").email
    db.session.commit()

    outcomes, leaks = race(
        any_app,
        RACERS,
        lambda _n: str(
            auth.check_password_step(db.session, email, "not the password", ADDRESS, DEFAULT_NOW)
        ),
    )

    assert leaks == []
    assert outcomes.count("invalid_credentials") == auth.THROTTLE_LIMIT, outcomes
    assert outcomes.count("throttled") == RACERS - auth.THROTTLE_LIMIT
    assert _failed_tries(email) == auth.THROTTLE_LIMIT


def test_thirty_parallel_wrong_codes_at_the_second_step_get_ten_evaluated(any_app, make_user):
    secret = pyotp.random_base32()
    user = make_user("manager", totp_secret=secret)
    user_id, email = user.id, user.email
    db.session.commit()
    near = {totp_code(secret, DEFAULT_NOW + timedelta(seconds=s)) for s in (-30, 0, 30)}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in near)

    def try_code(_n: int) -> str:
        racer = db.session.get(StaffUser, user_id)
        auth.check_second_factor_step(db.session, racer, wrong, ADDRESS, DEFAULT_NOW)
        return "signed_in"

    outcomes, leaks = race(any_app, RACERS, try_code)

    assert leaks == []
    assert outcomes.count("invalid_code") == auth.THROTTLE_LIMIT, outcomes
    assert outcomes.count("throttled") == RACERS - auth.THROTTLE_LIMIT
    assert _failed_tries(email) == auth.THROTTLE_LIMIT
