"""Translations: Danish and English are complete, residents read every page in their language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from havehus.config import load_settings
from havehus.i18n import KNOWN_LANGUAGES
from havehus.i18n_tools import (
    compiled_matches,
    is_resident_source,
    load_po,
    placeholder_problems,
    resident_msgids,
    untranslated,
    untranslated_of,
)
from havehus.paths import LOCALES_DIR, RESOURCE_ROOT

CATALOGUES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
#: Complete in every msgid, staff pages included.
COMPLETE_LANGUAGES = ("da", "en")
#: Every page a resident reads is in these (docs/translations.md).
RESIDENT_LANGUAGES = ("da", "en", "ar", "tr", "so", "ur", "uk")
#: CLDR's plural categories per language, as gettext's Plural-Forms must count them.
PLURAL_FORMS = {"da": 2, "en": 2, "ar": 6, "tr": 2, "so": 2, "ur": 2, "uk": 3}


def catalogue(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def resident_ids() -> list[str]:
    return [entry.msgid for entry in resident_msgids(RESOURCE_ROOT)]


def test_every_resident_language_has_a_catalogue_and_is_offered():
    assert {path.parts[-3] for path in CATALOGUES} >= set(RESIDENT_LANGUAGES)
    assert set(RESIDENT_LANGUAGES) <= set(KNOWN_LANGUAGES)
    assert load_settings({})["languages"] == list(RESIDENT_LANGUAGES)


@pytest.mark.parametrize("code", COMPLETE_LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(code: str):
    assert untranslated(load_po(catalogue(code))) == []


@pytest.mark.parametrize("code", RESIDENT_LANGUAGES)
def test_every_resident_facing_string_is_translated(code: str, resident_ids: list[str]):
    missing = untranslated_of(load_po(catalogue(code)), resident_ids)
    assert missing == [], f"{code}: {len(missing)} resident-facing strings untranslated"


def test_resident_facing_strings_are_found_where_residents_read(resident_ids: list[str]):
    # Spot checks of the rule in havehus.i18n_tools.RESIDENT_SOURCES: a public page, an SMS,
    # a kiosk step are in; a staff-only page is not.
    assert "Skip to content" in resident_ids
    assert "Your mobile number" in resident_ids
    assert "Delete the last digit" in resident_ids
    assert "%(num)d seat left" in resident_ids
    assert "Week planner" not in resident_ids


@pytest.mark.parametrize(
    ("path", "resident"),
    [
        ("templates/signup/kiosk/code.html", True),
        ("templates/signup/me.html", True),
        ("havehus/messaging/replies.py", True),
        ("havehus/signup/texts.py", True),
        ("havehus/signup/replies.py", True),
        ("havehus/program/notices.py", True),
        ("templates/program/planner/poster.html", True),
        ("templates/program/planner/session_sign.html", True),
        ("havehus/program/poster.py", True),
        ("templates/attendance/check_in.html", True),
        ("havehus/attendance/qr_views.py", True),
        ("templates/program/planner/session.html", False),
        ("templates/signup/staff_bookings.html", False),
        ("templates/base_staff.html", False),
        ("havehus/messaging/staff_views.py", False),
        ("havehus/signup/staff_views.py", False),
    ],
)
def test_the_resident_rule_tells_resident_files_from_staff_files(path: str, resident: bool):
    assert is_resident_source(path) is resident


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_no_translation_is_fuzzy(po: Path):
    # gettext ignores fuzzy entries: a first draft is marked in docs/translations.md instead.
    assert [str(m.id) for m in load_po(po) if m.id and m.fuzzy] == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_translations_keep_the_placeholders(po: Path):
    assert placeholder_problems(load_po(po)) == []


@pytest.mark.parametrize("code", RESIDENT_LANGUAGES)
def test_plural_forms_match_the_language(code: str):
    po = load_po(catalogue(code))
    assert po.num_plurals == PLURAL_FORMS[code]
    for message in po:
        if isinstance(message.id, tuple) and any(message.string):
            assert len(message.string) == po.num_plurals, message.id


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_mo_is_up_to_date(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run make i18n"
    assert compiled_matches(po, mo), f"{mo} is out of date: run make i18n"


@pytest.mark.slow
def test_every_string_in_the_code_is_in_the_catalogues(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "-o", str(pot), "."],
        cwd=RESOURCE_ROOT,
        check=True,
    )  # fmt: skip
    in_code = {message.id for message in load_po(pot) if message.id}
    for po in CATALOGUES:
        in_catalogue = {message.id for message in load_po(po) if message.id}
        assert in_code - in_catalogue == set(), f"{po}: run make i18n"
