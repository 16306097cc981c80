"""Reports as they leave the staff area: small groups hidden, then CSV, JSON or XLSX.

The rule (ARCHITECTURE.md): every count of 1–4 is written `<5`; when a column of a breakdown
has exactly one such cell, the next smallest cell of that column is hidden too, so that no
hidden figure can be recovered from the total; the total row stays numeric. A rate whose
count is hidden is hidden too (no-show rate: its no-shows or its bookings; participation
rate: its unique participants).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from havehus.reports.indicators import COLUMNS, TOTAL, Row, column_values

SUPPRESSED = "<5"
#: The counts that are hidden when small (rates follow their counts).
COUNT_COLUMNS = (
    "sessions_held",
    "sessions_cancelled",
    "visits",
    "anonymous_visits",
    "unique_participants",
    "new_participants",
    "returning_participants",
)

Cell = int | float | str | None


def _small(value: int | None) -> bool:
    return value is not None and 1 <= value <= 4


def hide_small(values: Sequence[int | None]) -> list[Cell]:
    """One column of counts whose total is shown elsewhere: 1–4 become `<5`, and when exactly
    one is hidden the next smallest is hidden too (the total would give it away)."""
    shown: list[Cell] = [SUPPRESSED if _small(value) else value for value in values]
    hidden = [i for i, value in enumerate(values) if _small(value)]
    if len(hidden) == 1 and len(values) > 1:
        others = [
            (value, i) for i, value in enumerate(values) if i not in hidden and value is not None
        ]
        if others:
            shown[min(others)[1]] = SUPPRESSED
    return shown


def hide_small_rate(rate: float | None, *counts: int) -> Cell:
    """A rate is hidden when any count it is made of is 1–4."""
    if rate is not None and any(_small(count) for count in counts):
        return SUPPRESSED
    return rate


def suppressed(rows: Sequence[Row]) -> list[dict[str, Cell]]:
    """The rows with small groups hidden, as column → value (None: empty)."""
    groups = [row for row in rows if row.group != TOTAL]
    table: list[dict[str, Cell]] = [{"group": row.group, **column_values(row)} for row in rows]
    cells = {id(row): cell for row, cell in zip(rows, table, strict=True)}
    for column in COUNT_COLUMNS:
        shown = hide_small([getattr(row, column) for row in groups])
        for row, value in zip(groups, shown, strict=True):
            cells[id(row)][column] = value
    for row in groups:
        cell = cells[id(row)]
        if _small(row.no_shows) or _small(row.bookings_decided):
            cell["no_show_rate"] = SUPPRESSED if row.no_show_rate is not None else None
        if cell["unique_participants"] == SUPPRESSED and row.participation_rate is not None:
            cell["participation_rate"] = SUPPRESSED
    return table


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _json_value(value: Cell) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    return value


def to_csv(table: Sequence[dict[str, Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for cell in table:
        writer.writerow([_text(cell[column]) for column in COLUMNS])
    return out.getvalue()


def to_json(table: Sequence[dict[str, Cell]]) -> str:
    rows = [{column: _json_value(cell[column]) for column in COLUMNS} for cell in table]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def to_xlsx(table: Sequence[dict[str, Cell]], title: str) -> bytes:
    """The same rows as a spreadsheet: numbers as numbers, `<5` as text, rates as 0.000."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = title[:31]
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append([_json_value(row[column]) for column in COLUMNS])
    for column_cells in sheet.iter_cols(min_row=2, min_col=9, max_col=10):
        for cell in column_cells:
            cell.number_format = "0.000"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
