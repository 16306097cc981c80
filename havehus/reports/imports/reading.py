"""Reading an import file: its rows checked cell by cell, the problems by line, the result.

Shared by both imports (departments.py, attendance.py): what a file may be (size, rows, the
header, UTF-8, commas or semicolons), how values are compared, and what an import reports.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from havehus.errors import HavehusError
from havehus.models.people import MANAGERS
from havehus.people.audit import Actor

#: The largest file read (a house's paper lists of many years fit many times over).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
#: The longest value of any column.
MAX_TEXT = 200
#: History reaches back to this year at most; a date before it is a typing error.
FIRST_YEAR = 2000
#: What the department column of an attendance file says for people from outside the area.
OUTSIDE_WORDS = ("outside", "udenfor")
#: Rows per IN (...) list, well below SQLite's and PostgreSQL's limits on parameters.
CHUNK = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")


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


@dataclass(frozen=True)
class Line:
    number: int
    values: dict[str, str]


class Errors:
    """The bad rows found so far, and whether a given line has one."""

    def __init__(self, found: list[RowError]) -> None:
        self.found = found
        self._lines: set[int | None] = {error.line for error in found}

    def add(self, line: int | None, message: str) -> None:
        self.found.append(RowError(line, message))
        self._lines.add(line)

    def on(self, line: int) -> bool:
        return line in self._lines


def by_line(error: RowError) -> int:
    return error.line or 0


def shown(text: str, limit: int = 40) -> str:
    """A value quoted back in a message: printable and short."""
    text = _CONTROL.sub("?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_rows(data: bytes, header: Sequence[str], errors: Errors) -> list[Line]:
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
                found=shown(delimiter.join(names), 120),
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
        lines.append(Line(number, values))
    return lines


def _records(text: str, delimiter: str, errors: Errors) -> list[tuple[int, list[str]]] | None:
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


def match_key(text: str) -> str:
    """How values are compared: case, accents composed and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def whole_number(
    line: Line, column: str, low: int, high: int, errors: Errors, *, required: bool = True
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
                value=shown(text),
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
                value=shown(text),
            ),
        )
        return None
    return int(text)


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
