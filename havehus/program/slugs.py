"""Web names (slugs) of activities: the part of /activities/<slug> a manager need not type."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import or_, select

from havehus.models import Activity
from havehus.orm import OrmSession

#: The longest web name (the column's length).
MAX_LENGTH = 80
#: Room left at the end of a made web name for a number that tells it from a taken one.
_NUMBER_ROOM = 5
#: A name for a title with no letter a–z or digit in it at all (e.g. only emoji).
FALLBACK = "aktivitet"
#: Danish letters written as Danish addresses write them; other accents are simply dropped.
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def slug_from_title(title: str) -> str:
    """A web name made from a title: "Gå-tur ved Søen" → "gaa-tur-ved-soeen"."""
    text = unicodedata.normalize("NFKD", title.casefold().translate(_DANISH_LETTERS))
    text = "".join(char for char in text if not unicodedata.combining(char))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[: MAX_LENGTH - _NUMBER_ROOM].rstrip("-") or FALLBACK


def free_slug(orm: OrmSession, base: str) -> str:
    """The web name base, or base-2, base-3 … whichever no activity (archived ones too) has."""
    taken = set(
        orm.scalars(
            select(Activity.slug).where(or_(Activity.slug == base, Activity.slug.like(f"{base}-%")))
        )
    )
    number, slug = 1, base
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug
