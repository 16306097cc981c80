"""The wellbeing pulse on /staff/reports: each face's answers in the period's sessions, never
narrowed to a housing department (an answer has no person), small counts hidden in the PDF."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import Department, Pulse, Session
from havehus.reports.indicators import Filters, gather
from havehus.reports.measures import wellbeing_pulse
from tests.reports.history import CPH, MADE_AT, QUARTER, build_history

PAGE = "/staff/reports?period=quarter&quarter=2026-Q1"
#: Two sessions of the quarter asked; one session after it.
ANSWERS = ({1: 2, 3: 4, 4: 5}, {3: 2, 4: 4, 5: 12})
LATER = {5: 7}


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def answered() -> None:
    build_history()
    first, last = QUARTER
    in_quarter = db.session.scalars(
        select(Session).where(Session.starts_at >= _utc(first)).order_by(Session.starts_at)
    ).all()
    later = [s for s in in_quarter if s.starts_at.astimezone(CPH).date() > last]
    for session, faces in (*zip(in_quarter[:2], ANSWERS, strict=True), (later[0], LATER)):
        session.activity.wellbeing_pulse = True
        db.session.add_all(Pulse(session_id=session.id, face=f, count=n) for f, n in faces.items())
    db.session.commit()


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), CPH)


def test_each_face_is_counted_over_the_periods_sessions(any_app, answered):
    first, last = QUARTER

    pulse = wellbeing_pulse(db.session, gather(db.session, first, last, CPH, MADE_AT))

    assert pulse is not None
    assert pulse.faces == {1: 2, 2: 0, 3: 6, 4: 9, 5: 12}  # the later session's 7 not in it
    assert pulse.sessions == 2 and pulse.answers == 29
    assert pulse.share(5) == pytest.approx(12 / 29)


def test_a_department_filter_gives_no_pulse_since_an_answer_has_no_person(any_app, answered):
    first, last = QUARTER
    department = db.session.scalar(select(Department.id).order_by(Department.id))

    facts = gather(db.session, first, last, CPH, MADE_AT, Filters(department_id=department))

    assert wellbeing_pulse(db.session, facts) is None


def test_the_page_shows_the_faces_with_their_definition(client, signed_in, answered):
    signed_in("manager")
    client.get("/?lang=en")
    department = db.session.scalar(select(Department.id).order_by(Department.id))

    page = client.get(PAGE).get_data(as_text=True)
    narrowed = client.get(f"{PAGE}&department={department}").get_data(as_text=True)

    section = page.split('id="pulse"')[1].split("<h2")[0]
    assert "Wellbeing pulse" in page and "never linked to a person" in section
    assert "29 answers in 2 sessions" in section
    assert '<th scope="row">Very good</th><td class="num">12</td>' in section
    assert '<th scope="row">Bad</th><td class="num">0</td>' in section
    assert "cannot be narrowed to a housing department" in narrowed


def test_the_pdf_hides_a_small_face_and_the_next_smallest_with_it(client, signed_in, answered):
    signed_in("manager")
    client.get("/?lang=en")

    response = client.get(PAGE.replace("/staff/reports?", "/staff/reports/summary.pdf?"))

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    pulse = text.split("Wellbeing pulse")[1].split("Who took part")[0]
    assert "Very bad <5 <5" in pulse  # 2 answers, and their share
    # the next smallest (no answers) with it, or the total would give the 2 away
    assert "Bad <5 <5" in pulse
    assert "So-so 6" in pulse and "Very good 12" in pulse
