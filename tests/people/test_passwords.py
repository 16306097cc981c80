"""The password rules: long enough, not common, not derived from the e-mail."""

from __future__ import annotations

import pytest

from havehus.errors import HavehusError
from havehus.people.passwords import check_password_strength, common_passwords


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "password1234",
        "baseball2024!",
        "qwertyqwerty",
        "aaaaaaaaaaaaaaaa",
        "abcabcabcabc",
        "x" * 201,
    ],
)
def test_weak_passwords_are_refused(app, password):
    with pytest.raises(HavehusError) as excinfo:
        check_password_strength(password)
    assert excinfo.value.code == "weak_password"


def test_a_password_containing_the_email_name_is_refused(app):
    with pytest.raises(HavehusError):
        check_password_strength("mette-havehus-2026", email="mette@havehus.example")


@pytest.mark.parametrize("password", ["correct horse battery staple", "Æbletræet i haven 7"])
def test_good_passwords_pass(app, password):
    check_password_strength(password, email="someone@havehus.example")


def test_the_bundled_list_is_loaded():
    words = common_passwords()
    assert len(words) >= 10_000 and "password" in words and "123456" in words
