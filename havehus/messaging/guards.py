"""Guard rails checked as each text is sent: allowed countries, a daily cap, a monthly budget.

They run in the worker at send time (not when a text is queued), so a text queued days ago
still meets the limits of the moment it would go out. A text they stop is marked `skipped`
with the reason in `last_error`, for staff to see on /staff/messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import NumberParseException
from sqlalchemy import func, select

from havehus.config import Settings
from havehus.models import MessageStatus, OutboundMessage
from havehus.orm import OrmSession

#: Texts that keep a promise already made (a code asked for, a booking, a change to it):
#: they still go when the monthly budget is used up. Broadcasts, follow-ups and shift
#: reminders do not.
ESSENTIAL_KINDS = ("code", "confirmation", "change", "waitlist-promotion", "reminder", "link")
#: Statuses of a text that went (or may have gone) to the provider: they count.
COUNTED_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.UNKNOWN,
)
#: The share of the monthly budget at which staff pages warn.
WARN_SHARE = 0.8
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Limits:
    allowed_countries: tuple[str, ...]
    #: Texts to one number in 24 hours; 0 means no limit.
    daily_limit: int
    #: Segments a calendar month; 0 means unlimited.
    monthly_segments: int
    price_per_segment: float
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            allowed_countries=settings.sms_allowed_countries,
            daily_limit=settings.sms_daily_limit_per_number,
            monthly_segments=settings.sms_monthly_segments,
            price_per_segment=settings.sms_price_per_segment,
            tz=settings.tz,
        )


@dataclass(frozen=True)
class Budget:
    """Segments sent this calendar month against the monthly budget."""

    used: int
    limit: int

    @property
    def share(self) -> float:
        """0–1 and beyond; 0 when the budget is unlimited."""
        return self.used / self.limit if self.limit else 0.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def warning(self) -> bool:
        return bool(self.limit) and self.share >= WARN_SHARE

    @property
    def exhausted(self) -> bool:
        return bool(self.limit) and self.used >= self.limit


def region_of(phone: str) -> str | None:
    """The ISO region code of an E.164 number (e.g. "DK"), None when it is not a number."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The instant the current calendar month began in the house's time zone."""
    first = now.astimezone(tz).date().replace(day=1)
    return datetime.combine(first, time(0), tzinfo=tz).astimezone(now.tzinfo)


def _when_counted() -> Any:
    # A text whose outcome is unknown may have no sent_at: it counts from when it was due.
    return func.coalesce(OutboundMessage.sent_at, OutboundMessage.send_after)


def segments_since(orm: OrmSession, since: datetime) -> int:
    """Segments of the texts sent (or perhaps sent) since an instant."""
    total = orm.scalar(
        select(func.sum(func.coalesce(OutboundMessage.segments, 1))).where(
            OutboundMessage.status.in_(COUNTED_STATUSES), _when_counted() >= since
        )
    )
    return int(total or 0)


def budget(orm: OrmSession, now: datetime, limits: Limits) -> Budget:
    return Budget(segments_since(orm, month_start(now, limits.tz)), limits.monthly_segments)


def texts_in_last_day(orm: OrmSession, phone: str, now: datetime) -> int:
    """Texts sent (or perhaps sent) to a number in the 24 hours before `now`, codes included."""
    return int(
        orm.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.to_phone == phone,
                OutboundMessage.status.in_(COUNTED_STATUSES),
                _when_counted() > now - DAY,
            )
        )
        or 0
    )


def texts_in_last_day_for(orm: OrmSession, phones: Iterable[str], now: datetime) -> dict[str, int]:
    """`texts_in_last_day` for many numbers in one query (a worker's batch)."""
    wanted = set(phones)
    if not wanted:
        return {}
    rows = orm.execute(
        select(OutboundMessage.to_phone, func.count(OutboundMessage.id))
        .where(
            OutboundMessage.to_phone.in_(wanted),
            OutboundMessage.status.in_(COUNTED_STATUSES),
            _when_counted() > now - DAY,
        )
        .group_by(OutboundMessage.to_phone)
    ).all()
    return {phone: int(count) for phone, count in rows}


def reason_to_hold(
    orm: OrmSession,
    message: OutboundMessage,
    now: datetime,
    limits: Limits,
    *,
    recent: Mapping[str, int] | None = None,
    used: Budget | None = None,
) -> str | None:
    """Why the guard rails stop this text now; None when it may go.

    `recent` and `used`, when given, hold the batch's counts from `texts_in_last_day_for`
    and `budget`, so a worker's batch asks the database once, not once per text.
    """
    region = region_of(message.to_phone)
    if region not in limits.allowed_countries:
        return (
            f"not sent: texts to numbers from {region or 'an unknown country'} are not allowed "
            f"(allowed: {', '.join(limits.allowed_countries)})"
        )
    if limits.daily_limit:
        if recent is None:
            count = texts_in_last_day(orm, message.to_phone, now)
        else:
            count = recent.get(message.to_phone, 0)
        if count >= limits.daily_limit:
            return (
                f"not sent: this number got {count} texts in the last 24 hours "
                f"(the limit is {limits.daily_limit})"
            )
    if message.kind not in ESSENTIAL_KINDS:
        used = used or budget(orm, now, limits)
        if used.exhausted:
            return (
                f"not sent: the monthly SMS budget is used up ({used.used} of {used.limit} "
                "segments); only essential texts go until next month"
            )
    return None
