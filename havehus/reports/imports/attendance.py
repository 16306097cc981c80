"""Who came to what on which day, from an old list (`havehus import-attendance`): every row
checked before anything is stored (attendance_store.py).

Names on an old attendance list are never stored: a person is kept as a pseudonymous
participant, found again by the keyed hash (HMAC with the app's secret) of the name or key the
list used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from havehus.dbutil import hold_keys
from havehus.models import Activity, Department
from havehus.orm import OrmSession
from havehus.people.audit import Actor
from havehus.reports.imports.attendance_rows import (
    OUTSIDE,
    Activities,
    ActivityRef,
    Count,
    Named,
    SessionIndex,
    Where,
)
from havehus.reports.imports.attendance_store import store_attendance
from havehus.reports.imports.departments import department_index
from havehus.reports.imports.reading import (
    FIRST_YEAR,
    OUTSIDE_WORDS,
    Errors,
    ImportResult,
    Line,
    by_line,
    check_may_import,
    match_key,
    read_rows,
    shown,
    whole_number,
)
from havehus.security import keyed_hash

ATTENDANCE_HEADER = ("date", "activity", "department", "participant", "anonymous")
#: The most anonymous visits one row may bring (a whole festival's head count).
MAX_ANONYMOUS = 10_000
#: What the keyed hash of an imported person's name is for (see havehus.security.keyed_hash).
PERSON_PURPOSE = "import-participant"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def import_attendance(
    orm: OrmSession, data: bytes, now: datetime, actor: Actor, *, tz: ZoneInfo, secret: str
) -> ImportResult:
    """Named visits and anonymous counts per local day and activity, from an old list.

    Each activity and day becomes one session (marked imported, at a neutral noon); a named
    row is one visit of a pseudonymous person found again by the keyed hash of the list's
    name; anonymous rows add up to the day's head count ("adults"). Rows for a day the program
    already has a session of that activity on are refused: that day's attendance lives there.
    Nothing changes when any row is bad; the same file again changes nothing.
    """
    check_may_import(actor)
    hold_keys(orm, "reports.import")
    result = ImportResult()
    errors = Errors(result.errors)
    lines = read_rows(data, ATTENDANCE_HEADER, errors)
    result.rows = len(lines)
    today = now.astimezone(tz).date()
    departments = department_index(orm)
    activities = Activities(orm)
    named: list[Named] = []
    counts: list[Count] = []
    for line in lines:
        row = _attendance_row(line, today, departments, activities, secret, errors)
        if isinstance(row, Named):
            named.append(row)
        elif isinstance(row, Count):
            counts.append(row)
    _check_people(named, errors)
    rows: list[Named | Count] = [*named, *counts]
    sessions = SessionIndex(orm, rows, tz)
    for item in rows:
        if isinstance(item.activity, Activity) and sessions.planned(item.activity, item.day):
            errors.add(
                item.line,
                _(
                    "The program has a session of %(activity)s on %(day)s already: "
                    "its attendance is recorded there, not imported.",
                    activity=item.activity.slug,
                    day=item.day.isoformat(),
                ),
            )
    if result.errors:
        result.errors.sort(key=by_line)
        return result
    result.changes = store_attendance(orm, named, counts, activities.new, sessions, now, actor, tz)
    return result


def _attendance_row(
    line: Line,
    today: date,
    departments: dict[str, Department],
    activities: Activities,
    secret: str,
    errors: Errors,
) -> Named | Count | None:
    values = line.values
    day = _import_day(line, today, errors)
    activity: ActivityRef | None = None
    if not values["activity"]:
        errors.add(line.number, _("activity is missing."))
    else:
        found = activities.find(values["activity"], day)
        if isinstance(found, str):
            errors.add(line.number, found)
        else:
            activity = found
    where = _where(line, departments, errors)
    person, anonymous = values["participant"], values["anonymous"]
    if person:
        if anonymous not in ("", "0"):
            errors.add(
                line.number,
                _(
                    "A row is one named visit (participant) or a count (anonymous), not both: "
                    "put the count on a line of its own."
                ),
            )
        if errors.on(line.number) or day is None or activity is None:
            return None
        return Named(
            line.number, day, activity, keyed_hash(secret, PERSON_PURPOSE, match_key(person)), where
        )
    if not anonymous:
        errors.add(
            line.number,
            _("Give a participant (one named visit) or anonymous (how many came unnamed)."),
        )
        return None
    if where is not None:
        errors.add(
            line.number,
            _("Anonymous visits belong to no department: leave department empty on this line."),
        )
    count = whole_number(line, "anonymous", 1, MAX_ANONYMOUS, errors)
    if errors.on(line.number) or day is None or activity is None or count is None:
        return None
    return Count(line.number, day, activity, count)


def _import_day(line: Line, today: date, errors: Errors) -> date | None:
    text = line.values["date"]
    if not text:
        errors.add(line.number, _("date is missing."))
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        errors.add(
            line.number,
            _(
                "date must be a day written YYYY-MM-DD, e.g. 2025-03-14 — it is %(value)s.",
                value=shown(text),
            ),
        )
        return None
    if day.year < FIRST_YEAR:
        errors.add(
            line.number,
            _("%(day)s is before %(year)d: check the year.", day=text, year=FIRST_YEAR),
        )
        return None
    if day >= today:
        errors.add(
            line.number,
            _(
                "%(day)s is not in the past: only days before today are imported; the program "
                "records today and what is to come.",
                day=text,
            ),
        )
        return None
    return day


def _where(line: Line, departments: dict[str, Department], errors: Errors) -> Where:
    text = line.values["department"]
    if not text:
        return None
    if match_key(text) in OUTSIDE_WORDS:
        return OUTSIDE
    found = departments.get(match_key(text))
    if found is None:
        errors.add(
            line.number,
            _(
                "There is no housing department %(department)s: import the departments first "
                "(import-departments), write outside for outside the area, or leave it empty.",
                department=shown(text),
            ),
        )
    return found


def _check_people(named: Sequence[Named], errors: Errors) -> None:
    """One visit per person, activity and day; one department per person."""
    visits: dict[tuple[int, date, str], int] = {}
    homes: dict[str, tuple[int, Where]] = {}
    for item in named:
        earlier = visits.setdefault((id(item.activity), item.day, item.person), item.line)
        if earlier != item.line:
            errors.add(
                item.line,
                _(
                    "The same person at the same activity on the same day is on line %(line)d "
                    "already: a visit is counted once.",
                    line=earlier,
                ),
            )
        if item.where is None:
            continue
        first_line, home = homes.setdefault(item.person, (item.line, item.where))
        if home is not item.where:
            errors.add(
                item.line,
                _(
                    "This person has another department on line %(line)d: a person belongs to "
                    "one department.",
                    line=first_line,
                ),
            )
