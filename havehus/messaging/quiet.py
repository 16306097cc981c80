"""Quiet hours: no reminder goes out at night, local time of the house."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

#: A reminder moved out of quiet hours is due this long before they begin, so the outbox
#: (which runs every 20 seconds) has time to send it while it is still evening.
QUIET_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class QuietHours:
    """No reminder goes out between `start` and `end`, local time of the house."""

    start: time
    end: time
    tz: ZoneInfo


def parse_clock(value: str) -> time:
    """Read "HH:MM" from the configuration."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(moment: datetime, quiet_start: time, quiet_end: time, tz: ZoneInfo) -> bool:
    clock = moment.astimezone(tz).time()
    if quiet_start <= quiet_end:
        return quiet_start <= clock < quiet_end
    return clock >= quiet_start or clock < quiet_end


def quiet_period_start(moment: datetime, quiet_start: time, tz: ZoneInfo) -> datetime:
    """The instant the quiet period containing `moment` began (local wall-clock time)."""
    local = moment.astimezone(tz)
    day = local.date() if local.time() >= quiet_start else local.date() - timedelta(days=1)
    return datetime.combine(day, quiet_start, tzinfo=tz).astimezone(moment.tzinfo)


def quiet_period_end(moment: datetime, quiet_end: time, tz: ZoneInfo) -> datetime:
    """The instant the quiet period containing `moment` ends (local wall-clock time)."""
    local = moment.astimezone(tz)
    day = local.date() if local.time() < quiet_end else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet_end, tzinfo=tz).astimezone(moment.tzinfo)


def due_at(
    starts_at: datetime, offset_minutes: int, quiet_start: time, quiet_end: time, tz: ZoneInfo
) -> datetime:
    """When the text `offset_minutes` before the start is due, moved before quiet hours."""
    # Offsets are absolute durations: "3 hours before" stays 3 hours across a DST change.
    due = starts_at - timedelta(minutes=offset_minutes)
    if in_quiet_hours(due, quiet_start, quiet_end, tz):
        due = quiet_period_start(due, quiet_start, tz) - QUIET_MARGIN
    return due
