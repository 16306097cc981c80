"""Staff sessions on the server: begun at sign-in, ended at sign-out, checked at each request.

The session cookie is signed, not secret from its holder, and a copy of it stays valid for
as long as it says. So the cookie carries a random token, and the session lives only while its
row here does: signing out (or the browser becoming a kiosk) ends the row, and the saved copy
opens nothing. Signing out everywhere needs no rows: it bumps the user's session generation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from havehus.dbutil import execute_apart, execute_rowcount
from havehus.models import StaffSession, StaffUser
from havehus.orm import OrmSession
from havehus.security import hash_token, new_token

#: The longest a staff session lasts, however busy.
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: A staff session ends after this long without a staff page.
IDLE_TIMEOUT = timedelta(minutes=30)


def begin(orm: OrmSession, user: StaffUser, now: datetime) -> str:
    """A new session for the user; returns the token for the cookie (only its hash is kept)."""
    raw, digest = new_token()
    orm.add(
        StaffSession(
            staff_user_id=user.id,
            token_hash=digest,
            created_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
        )
    )
    return raw


def is_live(orm: OrmSession, raw: str, user_id: int, now: datetime) -> bool:
    """Whether the cookie's token is a session of this user that has not ended or run out."""
    found = orm.scalar(
        select(StaffSession.id).where(
            StaffSession.token_hash == hash_token(raw),
            StaffSession.staff_user_id == user_id,
            StaffSession.ended_at.is_(None),
            StaffSession.expires_at > now,
        )
    )
    return found is not None


def end(orm: OrmSession, raw: str, now: datetime) -> None:
    """End the session of this token, also when the request is one that only reads."""
    execute_apart(
        orm,
        update(StaffSession)
        .where(StaffSession.token_hash == hash_token(raw), StaffSession.ended_at.is_(None))
        .values(ended_at=now),
    )


def delete_old(orm: OrmSession, now: datetime, kept_for: timedelta) -> int:
    """Delete the sessions that ended or ran out `kept_for` ago; returns how many."""
    over = func.coalesce(StaffSession.ended_at, StaffSession.expires_at)
    return execute_rowcount(orm, delete(StaffSession).where(over < now - kept_for))
