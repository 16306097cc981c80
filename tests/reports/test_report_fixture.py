"""`havehus report` on a hand-built history, compared byte for byte with committed CSV files.

The expected files are the acceptance artefact of the data strategy: docs/indicators.md
explains every number in them, and tests/reports/history.py lists the history they count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PinnedClock
from tests.reports.history import MADE_AT, QUARTER, build_history

EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture
def clock_start():
    return MADE_AT


def _report(app, *arguments: str) -> str:
    first, last = QUARTER
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["report", "--from", str(first), "--to", str(last), *arguments], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("total", ()),
        ("by-department", ("--by", "department")),
        ("by-month", ("--by", "month")),
        ("by-activity", ("--by", "activity")),
    ],
)
def test_the_quarter_report_matches_the_committed_csv(any_app, clock: PinnedClock, name, arguments):
    build_history()

    produced = _report(any_app, *arguments)

    assert produced == (EXPECTED / f"{name}.csv").read_text(encoding="utf-8")
