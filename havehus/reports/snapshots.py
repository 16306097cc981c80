"""Frozen years (/staff/reports/years): a year's indicators kept as they were reported.

Freezing stores the year's total, its breakdowns by housing department and by category, the
register's figures and the targets' counts as JSON, with who froze it and when. Later edits of
the records (a visit added, a session cancelled after the fact) change the live figures but
not the snapshot. Unfreezing deletes the snapshot: a manager's action, confirmed and audited
(the audit event keeps the snapshot's total). Comparing years sets frozen years (from their
snapshot) beside the others (live, marked as such).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from havehus.errors import HavehusError
from havehus.models import YearSnapshot
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor
from havehus.reports import goals, register
from havehus.reports.indicators import Row, column_values
from havehus.reports.scopes import Problems, Quantity, Reports, Scope, current_year

#: The shape of `YearSnapshot.data`; a later shape must still read this one.
SNAPSHOT_VERSION = 1
#: At most this many years side by side.
MAX_COMPARED = 6


def _row(row: Row) -> dict[str, Any]:
    return {
        "group": row.group,
        **column_values(row),
        "no_shows": row.no_shows,
        "bookings_decided": row.bookings_decided,
        "adults": row.adults,
    }


def year_data(orm: OrmSession, year: int, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The year's figures as the records say now, in the snapshot's shape."""
    reports = Reports(orm, tz, now)
    whole = Scope()
    return {
        "version": SNAPSHOT_VERSION,
        "year": year,
        "total": _row(reports.total(whole, year)),
        "by_department": [_row(row) for row in reports.rows(whole, year, "department")[:-1]],
        "by_category": [_row(row) for row in reports.rows(whole, year, "category")[:-1]],
        "register": register.live_values(orm, reports, year),
        "targets": {
            str(target_id): count
            for target_id, count in goals.live_progress(
                reports, goals.targets_of(orm, year)
            ).items()
        },
    }


def snapshot_of(orm: OrmSession, year: int) -> YearSnapshot | None:
    return orm.scalar(select(YearSnapshot).where(YearSnapshot.year == year))


def snapshots(orm: OrmSession) -> list[YearSnapshot]:
    return list(orm.scalars(select(YearSnapshot).order_by(YearSnapshot.year.desc())).all())


def freeze_year(
    orm: OrmSession,
    year_text: str,
    tz: ZoneInfo,
    now: datetime,
    actor: Actor,
    *,
    frozen_by: str,
) -> YearSnapshot:
    """Keep the year's figures as they are now. Only a year that is over can be frozen."""
    goals.require_manager(actor)
    problems = Problems()
    year = problems.year("year", year_text)
    if year is not None and year >= current_year(now, tz):
        problems.add("year", _("A year can be frozen once it is over."))
    elif year is not None and snapshot_of(orm, year) is not None:
        problems.add("year", _("%(year)d is frozen already.", year=year))
    if problems.fields or year is None:
        raise HavehusError(
            _("The year was not frozen: please check the marked fields."),
            "invalid",
            fields=problems.fields,
        )
    snapshot = YearSnapshot(
        year=year,
        data=year_data(orm, year, tz, now),
        frozen_at=now,
        frozen_by_id=actor.user_id,
        frozen_by_name=frozen_by[:254],
    )
    try:
        with orm.begin_nested():
            orm.add(snapshot)
    except IntegrityError:  # someone froze it at the same moment
        message = _("%(year)d is frozen already.", year=year)
        raise HavehusError(message, "frozen", fields={"year": message}) from None
    audit.record(
        orm,
        "report.year_frozen",
        now,
        actor,
        target=snapshot,
        details={"year": year, "total": snapshot.data["total"]},
    )
    return snapshot


def unfreeze_year(orm: OrmSession, snapshot: YearSnapshot, now: datetime, actor: Actor) -> None:
    """Drop the snapshot: the year's figures are live again. The audit event keeps what was
    frozen, by whom and when."""
    goals.require_manager(actor)
    audit.record(
        orm,
        "report.year_unfrozen",
        now,
        actor,
        target=snapshot,
        details={
            "year": snapshot.year,
            "frozen_at": snapshot.frozen_at.isoformat(),
            "frozen_by": snapshot.frozen_by_name,
            "total": snapshot.data.get("total", {}),
        },
    )
    orm.delete(snapshot)
    orm.flush()


@dataclass(frozen=True)
class YearColumn:
    year: int
    #: The snapshot the figures come from; None: live figures.
    snapshot: YearSnapshot | None
    data: dict[str, Any]

    def register_value(self, indicator_id: int) -> Quantity | None:
        stored = self.data.get("register", {}).get(str(indicator_id))
        return Quantity.from_json(stored)


def compare(orm: OrmSession, years: list[int], tz: ZoneInfo, now: datetime) -> list[YearColumn]:
    """The years side by side, oldest first."""
    columns = []
    for year in sorted(set(years)):
        snapshot = snapshot_of(orm, year)
        data = snapshot.data if snapshot is not None else year_data(orm, year, tz, now)
        columns.append(YearColumn(year, snapshot, data))
    return columns


def read_years(values: list[str], now: datetime, tz: ZoneInfo) -> tuple[list[int], dict[str, str]]:
    """The years a comparison asks for (?years=2024,2025 or ?years=2024&years=2025),
    checked; by default the current year and the two before it."""
    problems = Problems()
    years = []
    typed = [part for value in values for part in re.split(r"[\s,;]+", value) if part]
    for value in typed[: MAX_COMPARED * 4]:
        year = problems.year("years", value)
        if year is not None:
            years.append(year)
    if len(set(years)) > MAX_COMPARED:
        problems.add("years", _("Compare at most %(num)d years at a time.", num=MAX_COMPARED))
    if problems.fields or not years:
        this = current_year(now, tz)
        return [this - 2, this - 1, this], problems.fields
    return sorted(set(years)), {}
