"""Feed tokens: the secret part of a partner's or a person's feed address, stored hashed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from havehus.dbutil import execute_apart
from havehus.errors import HavehusError
from havehus.i18n import KNOWN_LANGUAGES
from havehus.models import FeedToken, Participant
from havehus.models.access import FEED_KINDS
from havehus.models.program import CATEGORIES
from havehus.orm import OrmSession
from havehus.security import derived_token, hash_token, new_token

#: Calendar apps poll every hour or so; noting each poll would turn every read into a write.
TOUCH_INTERVAL = timedelta(days=1)


def create_feed_token(
    orm: OrmSession,
    kind: str,
    now: datetime,
    *,
    name: str,
    language: str,
    categories: Iterable[str] = (),
    participant_id: int | None = None,
    staff_user_id: int | None = None,
) -> tuple[FeedToken, str]:
    """A new partner or personal feed token; the raw token is returned once, never stored."""
    chosen = list(dict.fromkeys(categories))
    if kind not in FEED_KINDS:
        raise HavehusError(_("Unknown kind of feed."), "invalid_kind")
    if language not in KNOWN_LANGUAGES:
        raise HavehusError(_("Unknown language."), "invalid_language")
    if any(category not in CATEGORIES for category in chosen):
        raise HavehusError(_("Unknown category."), "invalid_category")
    if kind == "personal" and (
        participant_id is None or orm.get(Participant, participant_id) is None
    ):
        raise HavehusError(_("A personal feed needs a participant."), "invalid_participant")
    raw, digest = new_token()
    token = FeedToken(
        kind=kind,
        token_hash=digest,
        name=" ".join(name.split())[:120],
        language=language,
        categories=chosen,
        participant_id=participant_id if kind == "personal" else None,
        staff_user_id=staff_user_id,
        created_at=now,
    )
    orm.add(token)
    orm.flush()
    return token, raw


def revoke_feed_token(orm: OrmSession, token: FeedToken, now: datetime) -> None:
    """Stop a feed address from working; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = now
        orm.flush()


def find_feed_token(orm: OrmSession, raw: str, kind: str) -> FeedToken | None:
    """The live token of this kind for a raw value, or None (unknown, revoked, other kind)."""
    # Unknown and revoked tokens take the same single indexed lookup, so neither the answer
    # nor its timing tells whether a token ever existed.
    return orm.scalar(
        select(FeedToken).where(
            FeedToken.token_hash == hash_token(raw),
            FeedToken.kind == kind,
            FeedToken.revoked_at.is_(None),
        )
    )


def record_feed_use(orm: OrmSession, token: FeedToken, now: datetime) -> None:
    """Note when a feed was last fetched (at most daily), so staff can see links in use."""
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        execute_apart(
            orm, update(FeedToken).where(FeedToken.id == token.id).values(last_used_at=now)
        )


def derived_feed_token(token: FeedToken, secret: str) -> str:
    """The raw address token of a feed token made by create_derived_feed_token.

    Computed from the app's secret and the record, so the same link can be shown or texted
    again without storing it; revoking the record revokes the link.
    """
    return derived_token(
        secret, f"feed-{token.kind}", token.id,
        token.created_at.timestamp(),
    )  # fmt: skip


def create_derived_feed_token(
    orm: OrmSession, kind: str, now: datetime, secret: str, **fields: Any
) -> tuple[FeedToken, str]:
    """Like create_feed_token, but the link can be shown again later (derived_feed_token)."""
    token, _raw = create_feed_token(orm, kind, now, **fields)
    raw = derived_feed_token(token, secret)
    token.token_hash = hash_token(raw)
    orm.flush()
    return token, raw
