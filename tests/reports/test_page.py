"""/staff/reports: the period picker, the figures with their definitions, the charts and the
exports (small groups hidden), on the hand-built history of tests/reports/history.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event

from havehus.extensions import db
from tests.reports.history import MADE_AT, build_history

EXPECTED = Path(__file__).parent / "expected"
QUARTER = "/staff/reports?period=quarter&quarter=2026-Q1"


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def manager(client, signed_in):
    """A manager signed in, reading the staff pages in English."""
    signed_in("manager")
    client.get("/?lang=en")


def test_the_quarter_shows_each_figure_beside_its_definition(client, manager):
    build_history()

    page = client.get(QUARTER).get_data(as_text=True)

    assert "1. januar 2026" in page or "January 1, 2026" in page
    for figure, value in (
        ("Sessions held", "12"),
        ("Visits", "79"),
        ("Unique participants", "26"),
        ("New participants", "22"),
        ("Returning participants", "16"),
    ):
        assert f'<dt>{figure}</dt>\n  <dd class="report-figure__value">{value}</dd>' in page
    # Fill rate: the five held dinners' 31 booked seats of 5 × 30.
    assert "31 of 150 seats in 5 sessions" in page
    assert page.count("How is this counted?") >= 12
    # The page may show exact small numbers: department 33 had 3 participants.
    assert "<5" not in page.split("Who took part")[1].split("Charts")[0]


def test_the_page_draws_three_charts_each_with_its_table(client, manager):
    build_history()

    page = client.get(QUARTER).get_data(as_text=True)

    assert page.count('aria-hidden="true" focusable="false"') == 3
    assert page.count("The chart as a table") == 3
    assert '<th scope="row">2026-W02</th>' in page  # the weekly visits' table
    assert " style=" not in page.split("<h2>Charts</h2>")[1]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period=decade", "period", "Choose a week, month, quarter, year or your own days."),
        ("period=week&week=2026-W54", "week", "e.g. 2026-W10"),
        ("period=month&month=2026-13", "month", "e.g. 2026-03"),
        ("period=quarter&quarter=2026-Q5", "quarter", "e.g. 2026-Q1"),
        ("period=year&year=99999999999999999999", "year", "four digits"),
        ("period=custom&from=2026-02-30&to=2026-03-01", "from", "year-month-day"),
        ("period=custom&from=2026-03-02&to=2026-03-01", "to", "before the first day"),
        ("period=custom&from=2000-01-01&to=2099-12-31", "to", "five years at most"),
        ("location=abc", "location", "Choose a location from the list."),
        ("activity=99999999999999999999999", "activity", "Choose an activity from the list."),
        ("department=-1", "department", "Choose a housing department from the list."),
        ("category=gardening", "category", "Choose a category from the list."),
        ("by=person", "by", "Choose a breakdown from the list."),
    ],
)
def test_a_bad_parameter_gets_its_message_not_an_error(client, manager, query, field, message):

    for path in ("/staff/reports", "/staff/reports/report.csv", "/staff/reports/summary.pdf"):
        response = client.get(f"{path}?{query}")

        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page
        assert f'id="r-{field}-error"' in page
        assert (
            f'aria-describedby="r-{field}-error"' in page
            or f"r-{field}-hint r-{field}-error" in page
        )


def test_the_csv_export_is_the_command_lines_report_with_small_groups_hidden(client, manager):
    build_history()

    response = client.get(f"{QUARTER}&by=department")

    assert response.status_code == 200
    csv = client.get("/staff/reports/report.csv?period=quarter&quarter=2026-Q1&by=department")
    assert csv.headers["Content-Disposition"] == (
        'attachment; filename="havehus-report-2026-01-01-2026-03-31-department.csv"'
    )
    assert csv.get_data(as_text=True) == (EXPECTED / "by-department.csv").read_text("utf-8")


def test_the_xlsx_export_hides_small_groups(client, manager):
    build_history()

    response = client.get("/staff/reports/report.xlsx?period=quarter&quarter=2026-Q1&by=department")

    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Afd. 33"][5] == "<5"  # 3 unique participants
    assert rows["total"][3] == 79


def test_the_pdf_summary_has_the_charts_and_hides_small_groups(client, manager):
    build_history()

    response = client.get("/staff/reports/summary.pdf?period=quarter&quarter=2026-Q1&by=department")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages
    )
    assert "Unique participants per month" in text
    assert "New and returning participants per month" in text
    assert "Visits per week, by category" in text
    assert "<5" in text
    # Department 33's three people are hidden in the profile too, never printed as 3.
    profile = text.split("Who took part")[1].split("Charts")[0]
    assert "Afd. 33 3" not in profile and "Afd. 33 <5" in profile


def _statements(client, path: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_page_reads_a_fixed_number_of_statements_however_long_the_period(client, manager):
    build_history()

    december = _statements(client, "/staff/reports?period=month&month=2025-12")
    quarter = _statements(client, f"{QUARTER}&by=activity")
    year = _statements(client, "/staff/reports?period=custom&from=2025-01-01&to=2026-12-31")

    assert december == year
    assert quarter == december + 1  # a breakdown by the sessions' groups reads its groups
    # the report's gathering, each visitor's visits per month, the further figures and the
    # outreach funnel
    assert year <= 30


def test_the_outreach_funnel_shows_contacted_signed_up_and_came(client, manager):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from havehus.attendance.outreach import ContactData, record_contact
    from havehus.models import Participant
    from havehus.people.audit import Actor

    build_history()
    actor = Actor("user", role="manager")
    came_later = db.session.scalar(
        select(Participant.id).where(Participant.public_id == "history-20")
    )
    contacted_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    named = ContactData(participant_id=came_later, count=1, channel="sundhedsformidler")
    record_contact(db.session, named, "contact-key-named-0001", contacted_at, actor)
    counted = ContactData(participant_id=None, count=3, channel="drop-in")
    record_contact(db.session, counted, "contact-key-count-0001", contacted_at, actor)
    db.session.commit()

    page = client.get(QUARTER).get_data(as_text=True)

    assert "4 contacted (1 by name) → 1 signed up → 1 came" in page


def test_a_control_character_in_the_address_is_refused_for_the_whole_request(client, manager):
    for path in ("/staff/reports", "/staff/reports/report.csv", "/staff/reports/summary.pdf"):
        response = client.get(f"{path}?category=%00")

        assert response.status_code == 400
        assert "not allowed here" in response.get_data(as_text=True)
