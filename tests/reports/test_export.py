"""Small groups never leave the house: the `<5` rule, and the report's formats."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from havehus.reports.export import suppressed, to_csv
from havehus.reports.indicators import Row
from tests.reports.history import MADE_AT, QUARTER, build_history


@pytest.fixture
def clock_start():
    return MADE_AT


def _row(group: str, visits: int, **fields) -> Row:
    return Row(group, visits=visits, **fields)


def test_one_hidden_cell_hides_the_next_smallest_so_the_total_tells_nothing():
    rows = [_row("a", 3), _row("b", 40), _row("c", 12), _row("total", 55)]

    table = suppressed(rows)

    assert [cell["visits"] for cell in table] == ["<5", 40, "<5", 55]


def test_two_hidden_cells_need_no_more_and_zero_is_shown():
    rows = [_row("a", 3), _row("b", 2), _row("c", 0), _row("d", 9), _row("total", 14)]

    assert [cell["visits"] for cell in suppressed(rows)] == ["<5", "<5", 0, 9, 14]


def test_a_rate_is_hidden_with_its_count():
    rows = [
        _row("a", 30, unique_participants=3, adults=100, no_shows=2, bookings_decided=20),
        _row("b", 30, unique_participants=30, adults=100, no_shows=6, bookings_decided=20),
        _row("c", 30, unique_participants=50, adults=100, no_shows=0, bookings_decided=0),
        _row("total", 60, unique_participants=83, no_shows=8, bookings_decided=40),
    ]

    a, b, c, total = suppressed(rows)

    assert a["participation_rate"] == a["no_show_rate"] == "<5"
    assert b["participation_rate"] == "<5"  # its count hides a's: hidden with it
    assert b["no_show_rate"] == 0.3
    assert c["participation_rate"] == 0.5 and c["no_show_rate"] is None
    assert total["no_show_rate"] == 0.2
    assert to_csv([a]).splitlines()[1].startswith("a,0,0,30,0,<5")


def test_json_and_xlsx_carry_the_same_rows_as_csv(app, clock, tmp_path):
    build_history()
    runner = app.test_cli_runner()
    span = ["--from", str(QUARTER[0]), "--to", str(QUARTER[1]), "--by", "department"]

    as_csv = runner.invoke(args=["report", *span]).output
    as_json = json.loads(runner.invoke(args=["report", *span, "--format", "json"]).output)
    target = tmp_path / "q1.xlsx"
    done = runner.invoke(args=["report", *span, "--format", "xlsx", "--output", str(target)])

    assert done.exit_code == 0, done.output
    lines = as_csv.splitlines()
    assert [row["group"] for row in as_json] == [line.split(",")[0] for line in lines[1:]]
    assert as_json[2]["visits"] == "<5" and as_json[0]["participation_rate"] == 0.061
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == lines[0].split(",")
    assert values[3][3] == "<5" and values[-1][0] == "total"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--from", "2026-13-01", "--to", "2026-12-31"],
        ["--from", "2026-03-01", "--to", "2026-01-01"],
        ["--from", "2026-01-01", "--to", "2026-03-31", "--by", "colour"],
        ["--from", "2026-01-01", "--to", "2026-03-31", "--format", "xlsx"],
    ],
)
def test_bad_options_are_refused_with_a_message(app, arguments):
    result = app.test_cli_runner().invoke(args=["report", *arguments])

    assert result.exit_code == 2
    assert "Error" in result.output and "Traceback" not in result.output
