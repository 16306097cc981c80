"""Partner feeds: the calendar addresses managers make for partners, and those a partner sees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import url_for
from sqlalchemy import Select, select

from havehus.config import Settings
from havehus.feeds.links import FeedLink, feed_link
from havehus.feeds.tokens import create_derived_feed_token, derived_feed_token, revoke_feed_token
from havehus.models import FeedToken, StaffUser
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor


def partner_users(orm: OrmSession) -> list[StaffUser]:
    """The active partner users an address can be made for, by e-mail."""
    return list(
        orm.scalars(
            select(StaffUser)
            .where(StaffUser.role == "partner", StaffUser.active.is_(True))
            .order_by(StaffUser.email)
        )
    )


def partner_feed_list() -> Select[FeedToken]:
    """The query for the managers' list: live addresses first, newest first."""
    return (
        select(FeedToken)
        .where(FeedToken.kind == "partner")
        .order_by(FeedToken.revoked_at.is_not(None), FeedToken.created_at.desc())
    )


def create_partner_feed(
    orm: OrmSession,
    now: datetime,
    actor: Actor,
    *,
    name: str,
    language: str,
    categories: Iterable[str],
    partner_id: int | None,
    secret: str,
) -> FeedToken:
    """A new partner address (shown to the partner user, if one is named), audited."""
    token, _raw = create_derived_feed_token(
        orm,
        "partner",
        now,
        secret,
        name=name,
        language=language,
        categories=categories,
        staff_user_id=partner_id,
    )
    audit.record(orm, "feed.create", now, actor, target=token)
    return token


def revoke_partner_feed(orm: OrmSession, token: FeedToken, now: datetime, actor: Actor) -> None:
    """Stop a partner address from working at once, audited."""
    revoke_feed_token(orm, token, now)
    audit.record(orm, "feed.revoke", now, actor, target=token)


def partner_link(token: FeedToken, settings: Settings) -> FeedLink:
    """The partner feed's address (https, webcal, QR), shown again whenever needed."""
    path = url_for("feeds.partner_calendar", token=derived_feed_token(token, settings.secret_key))
    return feed_link(settings.public_url, path)


def own_partner_links(
    orm: OrmSession, user: StaffUser, settings: Settings
) -> list[tuple[FeedToken, FeedLink]]:
    """The live partner addresses made for this user, oldest first (their overview shows them)."""
    tokens = orm.scalars(
        select(FeedToken)
        .where(
            FeedToken.kind == "partner",
            FeedToken.staff_user_id == user.id,
            FeedToken.revoked_at.is_(None),
        )
        .order_by(FeedToken.created_at)
    )
    return [(token, partner_link(token, settings)) for token in tokens]
