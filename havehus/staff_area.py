"""The staff area: the URL paths whose pages are for staff, not for residents."""

from __future__ import annotations

#: Pages under these paths are staff pages: they keep a staff session alive and speak Danish
#: or English only.
STAFF_PATHS = ("/staff", "/host")


def is_staff_path(path: str) -> bool:
    """True for a staff path itself and anything below it (not for "/hostel")."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PATHS)
