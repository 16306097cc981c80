"""History in: the lists a house kept before, brought into the records the reports count.

`import_departments` reads residents per housing department and year (the denominators of
participation rates); `import_attendance` reads who came to what on which day. Both take the
file's bytes (CLI and upload alike), check every row before they change anything, and return
each bad row with its line number (the header is line 1): a file with any bad row imports
nothing. Both are idempotent — the same file again changes nothing. The rules are written out
for managers in docs/indicators.md ("Imported history").

Names on an old attendance list are never stored: a person is kept as a pseudonymous
participant, found again by the keyed hash (HMAC with the app's secret) of the name or key the
list used.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select

from havehus.dbutil import hold_keys
from havehus.errors import HavehusError
from havehus.models import (
    Activity,
    Department,
    DepartmentPopulation,
    Participant,
    Session,
    Tally,
    Visit,
)
from havehus.models.people import MANAGERS
from havehus.orm import OrmSession
from havehus.people.audit import Actor, record
from havehus.program.slugs import slug_from_title
from havehus.security import keyed_hash
from havehus.timeutil import day_bounds_utc, local_to_utc

DEPARTMENT_HEADER = ("department", "year", "residents_18_plus", "residents_65_plus", "source")
ATTENDANCE_HEADER = ("date", "activity", "department", "participant", "anonymous")
#: What the department column of an attendance file says for people from outside the area.
OUTSIDE_WORDS = ("outside", "udenfor")
#: The largest file read (a house's paper lists of many years fit many times over).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
#: The longest value of any column.
MAX_TEXT = 200
MAX_RESIDENTS = 1_000_000
#: The most anonymous visits one row may bring (a whole festival's head count).
MAX_ANONYMOUS = 10_000
#: History reaches back to this year at most; a date before it is a typing error.
FIRST_YEAR = 2000
#: Imported days become sessions at this local time, an hour long: a neutral time of day that
#: no summer-time change or midnight moves onto another day.
HISTORIC_START = time(12, 0)
HISTORIC_MINUTES = 60
#: What the keyed hash of an imported person's name is for (see havehus.security.keyed_hash).
PERSON_PURPOSE = "import-participant"
#: Rows per IN (...) list, well below SQLite's and PostgreSQL's limits on parameters.
CHUNK = 2000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class RowError:
    """A bad row: its line in the file (the header is line 1), or None for the whole file."""

    line: int | None
    message: str


@dataclass
class ImportResult:
    """What an import found and did: the rows read, every bad row, and what changed."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: What changed, by what (see `summary`); all zero when the file was imported before.
    changes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return any(count for what, count in self.changes.items() if what not in _UNCHANGED_COUNTS)

    def summary(self) -> list[str]:
        """What the import did, in words, one line per kind of change."""
        lines = [ngettext("%(num)d row read.", "%(num)d rows read.", self.rows)]
        for what, count in self.changes.items():
            if count:
                lines.append(_CHANGE_WORDS[what](count))
        if not self.changed:
            lines.append(_("Nothing new: everything in the file was imported before."))
        return lines


_UNCHANGED_COUNTS = ("years_unchanged", "visits_known")
#: The words of each change.
_CHANGE_WORDS: dict[str, Callable[[int], str]] = {
    "departments_created": lambda n: ngettext(
        "%(num)d housing department added.", "%(num)d housing departments added.", n
    ),
    "years_added": lambda n: ngettext(
        "%(num)d year of figures added.", "%(num)d years of figures added.", n
    ),
    "years_replaced": lambda n: ngettext(
        "%(num)d year of figures replaced.", "%(num)d years of figures replaced.", n
    ),
    "years_unchanged": lambda n: ngettext(
        "%(num)d year of figures was already there.",
        "%(num)d years of figures were already there.",
        n,
    ),
    "activities_created": lambda n: ngettext(
        "%(num)d historic activity added (archived).",
        "%(num)d historic activities added (archived).",
        n,
    ),
    "sessions_created": lambda n: ngettext(
        "%(num)d imported day added.", "%(num)d imported days added.", n
    ),
    "people_created": lambda n: ngettext("%(num)d person added.", "%(num)d people added.", n),
    "visits_added": lambda n: ngettext(
        "%(num)d named visit added.", "%(num)d named visits added.", n
    ),
    "visits_known": lambda n: ngettext(
        "%(num)d named visit was already there.", "%(num)d named visits were already there.", n
    ),
    "counts_set": lambda n: ngettext(
        "%(num)d anonymous count set.", "%(num)d anonymous counts set.", n
    ),
}


def check_may_import(actor: Actor) -> None:
    """Managers, admins and the command line bring history in; nobody else."""
    if actor.kind != "cli" and actor.role not in MANAGERS:
        raise HavehusError(_("Only a manager can import history."), "forbidden")


# ------------------------------------------------------------------ reading the file


@dataclass(frozen=True)
class _Line:
    number: int
    values: dict[str, str]


class _Errors:
    """The bad rows found so far, and whether a given line has one."""

    def __init__(self, found: list[RowError]) -> None:
        self.found = found
        self._lines: set[int | None] = {error.line for error in found}

    def add(self, line: int | None, message: str) -> None:
        self.found.append(RowError(line, message))
        self._lines.add(line)

    def on(self, line: int) -> bool:
        return line in self._lines


def _by_line(error: RowError) -> int:
    return error.line or 0


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted back in a message: printable and short."""
    text = _CONTROL.sub("?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read(data: bytes, header: Sequence[str], errors: _Errors) -> list[_Line]:
    """The file's rows as {column: value}, each with its line number; problems go to errors.

    Accepts what spreadsheets write: a byte-order mark, semicolons instead of commas (a Danish
    Excel's "CSV"), quoted values, blank lines. Refuses what is not text.
    """
    expected = ",".join(header)
    if len(data) > MAX_BYTES:
        errors.add(
            None,
            _(
                "The file is larger than %(size)d MB: split it into smaller files.",
                size=MAX_BYTES // (1024 * 1024),
            ),
        )
        return []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.add(
            data[: exc.start].count(b"\n") + 1,
            _('This line is not UTF-8 text. Save the spreadsheet as "CSV UTF-8" and try again.'),
        )
        return []
    for number, physical in enumerate(text.split("\n"), start=1):
        if "\x00" in physical:
            errors.add(number, _("This line contains a NUL character: it is not a text line."))
    text = text.replace("\x00", "")
    if not text.strip():
        errors.add(
            None, _("The file is empty. Its first line must be: %(header)s", header=expected)
        )
        return []
    first = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first and ";" in first else ","
    records = _records(text, delimiter, errors)
    if records is None:
        return []
    (_one, names), rest = records[0], records[1:]
    if tuple(name.strip().lower() for name in names) != tuple(header):
        errors.add(
            1,
            _(
                "The first line must be the header %(header)s — it is %(found)s.",
                header=expected,
                found=_shown(delimiter.join(names), 120),
            ),
        )
        return []
    lines = []
    for number, cells in rest:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a spreadsheet's row of empty cells
        if len(cells) != len(header):
            errors.add(
                number,
                _(
                    "This line has %(found)d values; the header has %(expected)d.",
                    found=len(cells),
                    expected=len(header),
                ),
            )
            continue
        values = {}
        for name, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            if _CONTROL.search(cell):
                errors.add(
                    number,
                    _("%(column)s contains a control character or a line break.", column=name),
                )
            elif len(cell) > MAX_TEXT:
                errors.add(
                    number,
                    _("%(column)s is longer than %(max)d characters.", column=name, max=MAX_TEXT),
                )
            values[name] = cell
        lines.append(_Line(number, values))
    return lines


def _records(text: str, delimiter: str, errors: _Errors) -> list[tuple[int, list[str]]] | None:
    """The CSV records with the line each starts on; None when the file cannot be read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for cells in reader:
            records.append((previous + 1, cells))
            previous = reader.line_num
            if len(records) > MAX_ROWS + 1:
                errors.add(
                    None,
                    _(
                        "The file has more than %(max)d rows: split it into smaller files.",
                        max=MAX_ROWS,
                    ),
                )
                return None
    except csv.Error as exc:
        if "field larger" in str(exc):
            message = _("A value on this line is far too long.")
        else:
            message = _(
                "This line cannot be read: a quotation mark is not closed, or text follows it."
            )
        errors.add(previous + 1, message)
        return None
    return records


def _key(text: str) -> str:
    """How values are compared: case, accents composed and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _whole_number(
    line: _Line, column: str, low: int, high: int, errors: _Errors, *, required: bool = True
) -> int | None:
    text = line.values[column]
    if not text:
        if required:
            errors.add(line.number, _("%(column)s is missing.", column=column))
        return None
    if not _DIGITS.fullmatch(text):
        errors.add(
            line.number,
            _(
                "%(column)s must be a whole number without dots or spaces, e.g. 412 "
                "— it is %(value)s.",
                column=column,
                value=_shown(text),
            ),
        )
        return None
    if len(text) > 9 or not low <= int(text) <= high:
        errors.add(
            line.number,
            _(
                "%(column)s must be between %(low)d and %(high)d — it is %(value)s.",
                column=column,
                low=low,
                high=high,
                value=_shown(text),
            ),
        )
        return None
    return int(text)


# ------------------------------------------------------------------ departments


def _department_index(orm: OrmSession) -> dict[str, Department]:
    """Departments by web name, then by name (a web name wins when both match)."""
    departments = orm.scalars(select(Department).order_by(Department.id)).all()
    index: dict[str, Department] = {}
    for department in departments:
        index.setdefault(_key(department.slug), department)
    for department in departments:
        index.setdefault(_key(department.name), department)
    return index


def _free_department_slug(name: str, taken: set[str]) -> str:
    base = slug_from_title(name)[:50].rstrip("-")
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


@dataclass(frozen=True)
class _Figures:
    line: int
    name: str
    year: int
    adults: int
    seniors: int | None
    source: str


def import_departments(orm: OrmSession, data: bytes, now: datetime, actor: Actor) -> ImportResult:
    """Residents aged 18+ and 65+ per housing department and year, with their source.

    A department is found by its web name or name and added when there is none; importing a
    year again replaces that year's figures (and forgets its number of residents of all ages,
    which the file does not carry). Nothing changes when any row is bad.
    """
    check_may_import(actor)
    hold_keys(orm, "reports.import")
    result = ImportResult()
    errors = _Errors(result.errors)
    lines = _read(data, DEPARTMENT_HEADER, errors)
    result.rows = len(lines)
    last_year = now.year + 1
    seen: dict[tuple[str, int], int] = {}
    figures: list[_Figures] = []
    for line in lines:
        name = line.values["department"]
        if not name:
            errors.add(line.number, _("department is missing."))
        elif _key(name) in OUTSIDE_WORDS:
            errors.add(
                line.number,
                _("Outside the area has no count of residents: leave this line out."),
            )
        year = _whole_number(line, "year", FIRST_YEAR, last_year, errors)
        adults = _whole_number(line, "residents_18_plus", 0, MAX_RESIDENTS, errors)
        seniors = _whole_number(line, "residents_65_plus", 0, MAX_RESIDENTS, errors, required=False)
        if adults is not None and seniors is not None and seniors > adults:
            errors.add(
                line.number,
                _(
                    "residents_65_plus (%(seniors)d) is more than residents_18_plus (%(adults)d).",
                    seniors=seniors,
                    adults=adults,
                ),
            )
        source = line.values["source"]
        if not source:
            errors.add(line.number, _("source is missing: say where the figures come from."))
        if name and year is not None:
            earlier = seen.setdefault((_key(name), year), line.number)
            if earlier != line.number:
                errors.add(
                    line.number,
                    _(
                        "%(department)s %(year)d is on line %(line)d already.",
                        department=_shown(name),
                        year=year,
                        line=earlier,
                    ),
                )
        if errors.on(line.number) or year is None or adults is None:
            continue
        figures.append(_Figures(line.number, name, year, adults, seniors, source))
    if result.errors:
        result.errors.sort(key=_by_line)
        return result
    result.changes = _store_figures(orm, figures, now, actor)
    return result


def _store_figures(
    orm: OrmSession, figures: Sequence[_Figures], now: datetime, actor: Actor
) -> dict[str, int]:
    changes = dict.fromkeys(
        ("departments_created", "years_added", "years_replaced", "years_unchanged"), 0
    )
    index = _department_index(orm)
    taken = set(orm.scalars(select(Department.slug)))
    for item in figures:
        if _key(item.name) not in index:
            department = Department(slug=_free_department_slug(item.name, taken), name=item.name)
            orm.add(department)
            index[_key(item.name)] = index[_key(department.slug)] = department
            changes["departments_created"] += 1
    orm.flush()
    populations = {
        (population.department_id, population.year): population
        for population in orm.scalars(select(DepartmentPopulation))
    }
    for item in figures:
        department = index[_key(item.name)]
        wanted: dict[str, Any] = {
            "residents": None,
            "adults": item.adults,
            "residents_65_plus": item.seniors,
            "source": item.source,
        }
        population = populations.get((department.id, item.year))
        if population is None:
            orm.add(DepartmentPopulation(department_id=department.id, year=item.year, **wanted))
            changes["years_added"] += 1
        elif all(getattr(population, name) == value for name, value in wanted.items()):
            changes["years_unchanged"] += 1
        else:
            for name, value in wanted.items():
                setattr(population, name, value)
            changes["years_replaced"] += 1
    record(orm, "import.departments", now, actor, details={"rows": len(figures), **changes})
    orm.flush()
    return changes


# ------------------------------------------------------------------ attendance


class _Outside:
    """The department column said "outside the area"."""


OUTSIDE = _Outside()
_Where = Department | _Outside | None


@dataclass(eq=False)
class _NewActivity:
    """An activity the file names that the house does not have: made archived, as history."""

    slug: str
    title: str
    first_day: date


_ActivityRef = Activity | _NewActivity


class _Activities:
    """Finds an activity by web name, then by title in any language; names the unknown."""

    def __init__(self, orm: OrmSession) -> None:
        activities = orm.scalars(select(Activity).order_by(Activity.id)).all()
        self.taken = {activity.slug for activity in activities}
        self.by_slug: dict[str, _ActivityRef] = {_key(a.slug): a for a in activities}
        self.by_title: dict[str, list[_ActivityRef]] = defaultdict(list)
        for activity in activities:
            for key in {_key(title) for title in activity.title.values() if title}:
                self.by_title[key].append(activity)
        self.new: list[_NewActivity] = []

    def find(self, text: str, day: date | None) -> _ActivityRef | str | None:
        """The activity the text names, or why there is none (a message); an unknown one is
        named (as a new archived activity) on a row with a good date only."""
        key = _key(text)
        if key in self.by_slug:
            return self.by_slug[key]
        found = self.by_title.get(key, [])
        if len(found) > 1:
            return _(
                "%(activity)s is the title of more than one activity (%(slugs)s): "
                "write its web name instead.",
                activity=_shown(text),
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
        made = _NewActivity(slug=slug, title=text, first_day=day)
        self.new.append(made)
        self.by_slug[_key(slug)] = made
        self.by_title[key].append(made)
        return made


@dataclass(frozen=True)
class _Named:
    line: int
    day: date
    activity: _ActivityRef
    person: str  # the keyed hash
    where: _Where


@dataclass(frozen=True)
class _Count:
    line: int
    day: date
    activity: _ActivityRef
    count: int


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
    errors = _Errors(result.errors)
    lines = _read(data, ATTENDANCE_HEADER, errors)
    result.rows = len(lines)
    today = now.astimezone(tz).date()
    departments = _department_index(orm)
    activities = _Activities(orm)
    named: list[_Named] = []
    counts: list[_Count] = []
    for line in lines:
        row = _attendance_row(line, today, departments, activities, secret, errors)
        if isinstance(row, _Named):
            named.append(row)
        elif isinstance(row, _Count):
            counts.append(row)
    _check_people(named, errors)
    rows: list[_Named | _Count] = [*named, *counts]
    sessions = _SessionIndex(orm, rows, tz)
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
        result.errors.sort(key=_by_line)
        return result
    result.changes = _store_attendance(orm, named, counts, activities.new, sessions, now, actor, tz)
    return result


def _attendance_row(
    line: _Line,
    today: date,
    departments: dict[str, Department],
    activities: _Activities,
    secret: str,
    errors: _Errors,
) -> _Named | _Count | None:
    values = line.values
    day = _import_day(line, today, errors)
    activity: _ActivityRef | None = None
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
        return _Named(
            line.number, day, activity, keyed_hash(secret, PERSON_PURPOSE, _key(person)), where
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
    count = _whole_number(line, "anonymous", 1, MAX_ANONYMOUS, errors)
    if errors.on(line.number) or day is None or activity is None or count is None:
        return None
    return _Count(line.number, day, activity, count)


def _import_day(line: _Line, today: date, errors: _Errors) -> date | None:
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
                value=_shown(text),
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


def _where(line: _Line, departments: dict[str, Department], errors: _Errors) -> _Where:
    text = line.values["department"]
    if not text:
        return None
    if _key(text) in OUTSIDE_WORDS:
        return OUTSIDE
    found = departments.get(_key(text))
    if found is None:
        errors.add(
            line.number,
            _(
                "There is no housing department %(department)s: import the departments first "
                "(import-departments), write outside for outside the area, or leave it empty.",
                department=_shown(text),
            ),
        )
    return found


def _check_people(named: Sequence[_Named], errors: _Errors) -> None:
    """One visit per person, activity and day; one department per person."""
    visits: dict[tuple[int, date, str], int] = {}
    homes: dict[str, tuple[int, _Where]] = {}
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


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _uid(activity_id: int, day: date) -> str:
    return f"import-{activity_id}-{day:%Y%m%d}@havehus"


class _SessionIndex:
    """The sessions of the file's known activities on its days: planned ones (which refuse an
    import) and those an earlier import made (which it uses again)."""

    def __init__(self, orm: OrmSession, items: Sequence[_Named | _Count], tz: ZoneInfo) -> None:
        known = {item.activity.id for item in items if isinstance(item.activity, Activity)}
        days = [item.day for item in items]
        self._planned: set[tuple[int, date]] = set()
        self.imported: dict[str, Session] = {}
        if not known or not days:
            return
        start, end = day_bounds_utc(min(days), max(days), tz)
        for chunk in _chunks(sorted(known)):
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


def _store_attendance(
    orm: OrmSession,
    named: Sequence[_Named],
    counts: Sequence[_Count],
    new_activities: Sequence[_NewActivity],
    index: _SessionIndex,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
) -> dict[str, int]:
    changes = dict.fromkeys(
        (
            "activities_created",
            "sessions_created",
            "people_created",
            "visits_added",
            "visits_known",
            "counts_set",
        ),
        0,
    )
    made = _make_activities(orm, new_activities, now)
    changes["activities_created"] = len(made)

    def activity_id(ref: _ActivityRef) -> int:
        return ref.id if isinstance(ref, Activity) else made[id(ref)].id

    sessions: dict[tuple[int, date], Session] = {}
    rows: list[_Named | _Count] = [*named, *counts]
    for item in rows:
        key = (activity_id(item.activity), item.day)
        if key in sessions:
            continue
        found = index.imported.get(_uid(*key))
        if found is None:
            starts = local_to_utc(item.day, HISTORIC_START, tz)
            found = Session(
                activity_id=key[0],
                uid=_uid(*key),
                starts_at=starts,
                ends_at=starts + timedelta(minutes=HISTORIC_MINUTES),
                status="scheduled",
                imported=True,
                note={},
                created_at=now,
                updated_at=now,
            )
            orm.add(found)
            changes["sessions_created"] += 1
        sessions[key] = found
    orm.flush()
    people, changes["people_created"] = _people(orm, named, sessions, activity_id, now)
    wanted = {(sessions[(activity_id(i.activity), i.day)].id, people[i.person].id) for i in named}
    present: set[tuple[int, int]] = set()
    imported_ids = sorted({session.id for session in index.imported.values()})
    for chunk in _chunks(imported_ids):
        present.update(
            (session_id, participant_id)
            for session_id, participant_id in orm.execute(
                select(Visit.session_id, Visit.participant_id).where(Visit.session_id.in_(chunk))
            )
        )
    starts_of = {session.id: session.starts_at for session in sessions.values()}
    new_visits = [
        {
            "session_id": session_id,
            "participant_id": participant_id,
            "source": "import",
            "recorded_by_id": actor.user_id,
            "at": starts_of[session_id],
        }
        for session_id, participant_id in sorted(wanted - present)
    ]
    changes["visits_known"] = len(wanted & present)
    changes["visits_added"] = len(new_visits)
    for chunk in _chunks(new_visits):
        orm.execute(insert(Visit), list(chunk))
    changes["counts_set"] = _set_counts(orm, counts, sessions, activity_id, now, actor)
    record(
        orm, "import.attendance", now, actor, details={"rows": len(named) + len(counts), **changes}
    )
    orm.flush()
    return changes


def _make_activities(
    orm: OrmSession, new: Sequence[_NewActivity], now: datetime
) -> dict[int, Activity]:
    """The file's unknown activities, made as archived history: never in the program."""
    made: dict[int, Activity] = {}
    for item in new:
        activity = Activity(
            slug=item.slug,
            title={"da": item.title},
            summary={},
            category="other",
            mode="drop_in",
            capacity=None,
            visibility="staff",
            rrule=None,
            starts_on=item.first_day,
            start_time=HISTORIC_START,
            duration_minutes=HISTORIC_MINUTES,
            archived_at=now,
            created_at=now,
            updated_at=now,
        )
        orm.add(activity)
        made[id(item)] = activity
    orm.flush()
    return made


def _people(
    orm: OrmSession,
    named: Sequence[_Named],
    sessions: dict[tuple[int, date], Session],
    activity_id: Callable[[_ActivityRef], int],
    now: datetime,
) -> tuple[dict[str, Participant], int]:
    """The pseudonymous participant of each imported person, found by the keyed hash."""
    homes: dict[str, _Where] = {}
    last_seen: dict[str, datetime] = {}
    for item in named:
        if item.where is not None:
            homes[item.person] = item.where
        starts = sessions[(activity_id(item.activity), item.day)].starts_at
        last_seen[item.person] = max(last_seen.get(item.person, starts), starts)
    keys = list(last_seen)  # in the order of the file
    people: dict[str, Participant] = {}
    for chunk in _chunks(keys):
        for person in orm.scalars(select(Participant).where(Participant.import_key.in_(chunk))):
            assert person.import_key is not None
            people[person.import_key] = person
    created = 0
    for key in keys:
        found = people.get(key)
        home = homes.get(key)
        if found is not None:
            person = found
        else:
            public_id = secrets.token_hex(16)
            person = Participant(
                public_id=public_id,
                display_name=f"Imported {public_id[:6]}",
                language="da",
                channel="other",
                created_at=now,
                import_key=key,
            )
            orm.add(person)
            people[key] = person
            created += 1
        if home is not None and person.department_id is None and not person.outside_area:
            if isinstance(home, Department):
                person.department_id = home.id
            else:
                person.outside_area = True
        if person.last_seen_at is None or person.last_seen_at < last_seen[key]:
            person.last_seen_at = last_seen[key]
    orm.flush()
    return people, created


def _set_counts(
    orm: OrmSession,
    counts: Sequence[_Count],
    sessions: dict[tuple[int, date], Session],
    activity_id: Callable[[_ActivityRef], int],
    now: datetime,
    actor: Actor,
) -> int:
    """Each imported day's head count is the sum of its anonymous rows in the file."""
    totals: dict[int, int] = defaultdict(int)
    for item in counts:
        totals[sessions[(activity_id(item.activity), item.day)].id] += item.count
    existing: dict[int, Tally] = {}
    for chunk in _chunks(sorted(totals)):
        existing.update(
            (row.session_id, row)
            for row in orm.scalars(
                select(Tally).where(Tally.session_id.in_(chunk), Tally.kind == "adults")
            )
        )
    changed = 0
    for session_id, total in totals.items():
        if (tally := existing.get(session_id)) is None:
            orm.add(
                Tally(
                    session_id=session_id,
                    kind="adults",
                    count=total,
                    recorded_by_id=actor.user_id,
                    updated_at=now,
                )
            )
            changed += 1
        elif tally.count != total:
            tally.count, tally.recorded_by_id, tally.updated_at = total, actor.user_id, now
            changed += 1
    return changed
