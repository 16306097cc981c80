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

#: The name of every pictogram an activity can have: its category's, or an attribute's (whose
#: file name is an id such as food-served, never to be shown as a label).
PICTOGRAM_LABELS = {
    **CATEGORY_LABELS,
    "house": _l("The house"),
    "languages": _l("Languages spoken"),
    "childcare": _l("Childcare"),
    "food-served": _l("Food served"),
    "women-only": _l("Women only"),
    "step-free": _l("Step-free access"),
    "phone": _l("Phone"),
}


#: Names the CLDR data Babel ships lacks in a resident language, so that Babel would give the
#: English name: a Somali page said "Turkish".
LANGUAGE_NAMES = {
    "so": {"tr": "Turki"},
}


def language_name(code: str) -> str:
    """A language's name in the page's language, e.g. "arabisk" on a Danish page."""
    locale = get_locale() or Locale("da")
    own = LANGUAGE_NAMES.get(locale.language, {}).get(code)
    return own or locale.languages.get(code, code)


def pictogram_for(category: str, pictogram: str | None) -> str:
    """The pictogram file name (without .svg) of an activity."""
    return pictogram or category
