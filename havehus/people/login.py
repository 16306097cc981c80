"""How Flask-Login finds the signed-in staff user."""

from __future__ import annotations

from havehus.extensions import db, login
from havehus.models import StaffUser


@login.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The active staff user of a session cookie, or None (a disabled user is signed out)."""
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    return user if user is not None and user.active else None
