"""The staff preview of every kind of text in every language, and what texts cost a month.

The texts are rendered by the same functions that word the real ones — the samples each
domain registered with messaging/kinds.py — about a made-up session that is never saved
(copied from the next real one when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from havehus.config import Settings
from havehus.messaging import guards, kinds
from havehus.messaging.segments import SegmentInfo, count_segments, describe
from havehus.models import Activity, MessageStatus, Mode, OutboundMessage, Session, SessionStatus
from havehus.orm import OrmSession

#: The window of actual texts the monthly estimate starts from.
ESTIMATE_DAYS = 30


@dataclass(frozen=True)
class Sample:
    """One kind of text rendered in one language."""

    kind: str
    variant: str
    language: str
    body: str
    info: SegmentInfo
    cost: float


@dataclass(frozen=True)
class CostEstimate:
    recent_segments: int
    queued_segments: int
    price: float

    @property
    def segments(self) -> int:
        return self.recent_segments + self.queued_segments

    @property
    def cost(self) -> float:
        return self.segments * self.price


def sample_session(orm: OrmSession, now: datetime, tz: ZoneInfo) -> Session:
    """A session to word the samples with: a copy of the next sign-up session, never saved.

    Only the copy is used, so nothing real is changed (a cancel reason, for one) and nothing
    is added to the database session.
    """
    real = orm.scalar(
        select(Session)
        .join(Activity, Session.activity_id == Activity.id)
        .where(
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_at > now,
            Activity.mode != Mode.DROP_IN,
            Activity.sensitive.is_(False),
        )
        .order_by(Session.starts_at)
        .limit(1)
    )
    if real is not None:
        activity = Activity(title=dict(real.activity.title), sensitive=False)
        starts = real.starts_at
    else:
        activity = Activity(
            title={"da": "Sammen om maden", "en": "Cooking together"}, sensitive=False
        )
        day = (now.astimezone(tz) + timedelta(days=3)).date()
        starts = datetime.combine(day, time(17, 0), tzinfo=tz).astimezone(now.tzinfo)
    with force_locale("da"):
        reason = _("The cook is ill.")
    return Session(
        activity=activity,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status=SessionStatus.SCHEDULED,
        cancel_reason=reason,
    )


def render_samples(
    orm: OrmSession,
    now: datetime,
    languages: list[str],
    limits: guards.Limits,
    settings: Settings,
) -> list[Sample]:
    """Every kind of text the domains registered, in every configured language, with its size
    and cost."""
    session = sample_session(orm, now, limits.tz)
    samples = []
    for language in languages:
        for registered in kinds.samples():
            body = registered.wording(session, language, settings)
            info = describe(body)
            cost = info.segments * limits.price_per_segment
            samples.append(Sample(registered.kind, registered.variant, language, body, info, cost))
    return samples


def cost_estimate(orm: OrmSession, now: datetime, limits: guards.Limits) -> CostEstimate:
    """A month of texts: the last 30 days' actual segments plus what waits in the outbox."""
    recent = guards.segments_since(orm, now - timedelta(days=ESTIMATE_DAYS))
    queued = sum(
        count_segments(body)
        for body in orm.scalars(
            select(OutboundMessage.body).where(OutboundMessage.status == MessageStatus.PENDING)
        )
    )
    return CostEstimate(recent, queued, limits.price_per_segment)
