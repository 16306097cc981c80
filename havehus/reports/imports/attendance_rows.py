"""What an attendance row names: an activity (known, or a new archived one), a person's
department or outside the area, and the sessions the program already has on the file's days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.models import Activity, Department, Session
from havehus.orm import OrmSession
from havehus.program.slugs import slug_from_title
from havehus.reports.imports.reading import chunks, match_key, shown
from havehus.timeutil import day_bounds_utc


class Outside:
    """The department column said "outside the area"."""


OUTSIDE = Outside()


Where = Department | Outside | None


@dataclass(eq=False)
class NewActivity:
    """An activity the file names that the house does not have: made archived, as history."""

    slug: str
    title: str
    first_day: date


ActivityRef = Activity | NewActivity


class Activities:
    """Finds an activity by web name, then by title in any language; names the unknown."""

    def __init__(self, orm: OrmSession) -> None:
        activities = orm.scalars(select(Activity).order_by(Activity.id)).all()
        self.taken = {activity.slug for activity in activities}
        self.by_slug: dict[str, ActivityRef] = {match_key(a.slug): a for a in activities}
        self.by_title: dict[str, list[ActivityRef]] = defaultdict(list)
        for activity in activities:
            for key in {match_key(title) for title in activity.title.values() if title}:
                self.by_title[key].append(activity)
        self.new: list[NewActivity] = []

    def find(self, text: str, day: date | None) -> ActivityRef | str | None:
        """The activity the text names, or why there is none (a message); an unknown one is
        named (as a new archived activity) on a row with a good date only."""
        key = match_key(text)
        if key in self.by_slug:
            return self.by_slug[key]
        found = self.by_title.get(key, [])
        if len(found) > 1:
            return _(
                "%(activity)s is the title of more than one activity (%(slugs)s): "
                "write its web name instead.",
                activity=shown(text),
                slugs=", ".join(sorted(ref.slug for ref in found)),
            )
        if found:
            return found[0]
        if day is None:  # a row with a bad date makes nothing: its date is reported
            return None
        base = slug_from_title(text)
        slug, number = base, 1
        while slug in self.taken:
            number += 1
            slug = f"{base}-{number}"
        self.taken.add(slug)
        made = NewActivity(slug=slug, title=text, first_day=day)
        self.new.append(made)
        self.by_slug[match_key(slug)] = made
        self.by_title[key].append(made)
        return made


@dataclass(frozen=True)
class Named:
    line: int
    day: date
    activity: ActivityRef
    person: str  # the keyed hash
    where: Where


@dataclass(frozen=True)
class Count:
    line: int
    day: date
    activity: ActivityRef
    count: int


class SessionIndex:
    """The sessions of the file's known activities on its days: planned ones (which refuse an
    import) and those an earlier import made (which it uses again)."""

    def __init__(self, orm: OrmSession, items: Sequence[Named | Count], tz: ZoneInfo) -> None:
        known = {item.activity.id for item in items if isinstance(item.activity, Activity)}
        days = [item.day for item in items]
        self._planned: set[tuple[int, date]] = set()
        self.imported: dict[str, Session] = {}
        if not known or not days:
            return
        start, end = day_bounds_utc(min(days), max(days), tz)
        for chunk in chunks(sorted(known)):
            for session in orm.scalars(
                select(Session).where(
                    Session.activity_id.in_(chunk),
                    Session.starts_at >= start,
                    Session.starts_at < end,
                )
            ):
                if session.imported:
                    self.imported[session.uid] = session
                else:
                    day = session.starts_at.astimezone(tz).date()
                    self._planned.add((session.activity_id, day))

    def planned(self, activity: Activity, day: date) -> bool:
        return (activity.id, day) in self._planned
