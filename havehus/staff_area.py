"""The staff area: the URL paths whose pages are for staff, not for residents."""

from __future__ import annotations

#: Pages under these paths are staff pages: they keep a staff session alive.
STAFF_PATHS = ("/staff", "/host")
#: Staff pages that speak Danish or English only. Host mode (/host) speaks every language of
#: the house: many hosts are residents and health communicators with another mother tongue.
TWO_LANGUAGE_PATHS = ("/staff",)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def is_staff_path(path: str) -> bool:
    """True for a staff path itself and anything below it (not for "/hostel")."""
    return _under(path, STAFF_PATHS)


def speaks_two_languages(path: str) -> bool:
    """True for the staff pages offered in Danish and English only."""
    return _under(path, TWO_LANGUAGE_PATHS)
