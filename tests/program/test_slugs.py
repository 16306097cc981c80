"""A web name made from a Danish title reads like the title, in letters a web address can hold."""

from __future__ import annotations

import pytest

from havehus.program.slugs import slug_from_title


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Sammen om maden", "sammen-om-maden"),
        ("Gå-tur ved Søen", "gaa-tur-ved-soeen"),
        ("ÆBLER & ØL", "aebler-oel"),
        ("Café Noël – åben", "cafe-noel-aaben"),
        ("  Yoga!! 2026 ", "yoga-2026"),
    ],
)
def test_a_title_becomes_small_letters_digits_and_hyphens(title, slug):
    assert slug_from_title(title) == slug


def test_a_title_without_letters_or_digits_still_gets_a_name():
    assert slug_from_title("☕ ☕") == "aktivitet"


def test_a_long_title_leaves_room_for_a_number_within_80_characters():
    slug = slug_from_title("Sprog " * 30)
    assert len(slug) <= 75 and not slug.endswith("-")
