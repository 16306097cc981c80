"""Pictograms exist and are safe; templates hold no inline script or style (strict CSP)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from havehus.models.program import CATEGORIES
from havehus.paths import STATIC_DIR, TEMPLATES_DIR

PICTOGRAMS = STATIC_DIR / "pictograms"
SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html"))


def _referenced_in_templates() -> set[str]:
    names: set[str] = set()
    for template in TEMPLATES:
        text = template.read_text()
        names.update(re.findall(r"pictogram\('([a-z-]+)'", text))
        names.update(re.findall(r"pictograms/([a-z-]+)\.svg", text))
    return names


def test_every_category_and_every_referenced_pictogram_exists():
    wanted = set(CATEGORIES) | _referenced_in_templates()
    missing = {name for name in wanted if not (PICTOGRAMS / f"{name}.svg").is_file()}
    assert missing == set()


@pytest.mark.parametrize("svg", sorted(PICTOGRAMS.glob("*.svg")), ids=lambda p: p.stem)
def test_pictogram_is_clean_svg_with_a_title(svg: Path):
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 64 64"
    assert root.find(f"{SVG}title") is not None
    for element in root.iter():
        assert element.tag not in (f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject")
        assert "style" not in element.attrib
        assert not any(key.startswith("on") for key in element.attrib)


def test_pictograms_carry_a_licence():
    assert "CC0" in (PICTOGRAMS / "LICENSE.md").read_text()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_templates_have_no_inline_script_or_style(template: Path):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text
    assert not re.search(r"\sstyle\s*=", text), 'style=""'
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
