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


def suppressed(rows: Sequence[Row]) -> list[dict[str, Cell]]:
    """The rows with small groups hidden, as column → value (None: empty)."""
    groups = [row for row in rows if row.group != TOTAL]
    table: list[dict[str, Cell]] = [{"group": row.group, **column_values(row)} for row in rows]
    cells = {id(row): cell for row, cell in zip(rows, table, strict=True)}
    for column in COUNT_COLUMNS:
        hidden = {id(row) for row in groups if _small(getattr(row, column))}
        for row_id in hidden:
            cells[row_id][column] = SUPPRESSED
        if len(hidden) == 1 and len(groups) > 1:
            # One hidden cell could be worked out from the total: hide the next smallest too.
            others = [
                row for row in groups if id(row) not in hidden and getattr(row, column) is not None
            ]
            if others:
                smallest = min(others, key=lambda row: getattr(row, column))
                cells[id(smallest)][column] = SUPPRESSED
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
