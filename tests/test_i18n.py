"""Translations: the Danish catalogue is complete, compiled files are current, nothing is missed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from havehus.i18n_tools import compiled_matches, load_po, untranslated
from havehus.paths import LOCALES_DIR, RESOURCE_ROOT

CATALOGUES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))


def test_danish_and_english_catalogues_exist():
    assert {path.parts[-3] for path in CATALOGUES} >= {"da", "en"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_catalogue_is_complete_and_not_fuzzy(po: Path):
    assert untranslated(load_po(po)) == []


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
