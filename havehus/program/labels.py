"""Translated names of categories and attributes, for pages and pictogram alt texts."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "garden": _l("Garden"),
    "food": _l("Food"),
    "crafts": _l("Crafts"),
    "walking": _l("Walking"),
    "health": _l("Health"),
    "language": _l("Language"),
    "reading": _l("Reading"),
    "music": _l("Music"),
    "meeting": _l("Meeting"),
    "other": _l("Other"),
}


def language_name(code: str) -> str:
    """A language's name in the page's language, e.g. "arabisk" on a Danish page."""
    locale = get_locale() or Locale("da")
    return locale.languages.get(code, code)


def pictogram_for(category: str, pictogram: str | None) -> str:
    """The pictogram file name (without .svg) of an activity."""
    return pictogram or category
