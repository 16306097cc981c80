"""The printable week poster is a real PDF with the week's text, in the ticked languages."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from havehus.extensions import db
from havehus.program.poster import poster_titles
from havehus.program.recurrence import expand_activity
from tests.program.conftest import NOW
from tests.program.planner_world import CPH


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_poster_lists_the_week_in_the_ticked_languages(client, signed_in, walk):
    signed_in("host")
    response = client.get("/staff/week/2026-W11/poster?lang=da&lang=en&size=A4")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "Uge 11" in text
    assert "tirsdag 10. marts" in text
    assert "10:00–12:00" in text
    assert "Gå-tur" in text and "Walk" in text
    assert "http://havehus.test/week/2026-W11" in text


def test_the_a3_poster_is_a3_and_only_shows_public_activities(
    client,
    signed_in,
    walk,
    make_activity,
):
    staff_only = make_activity(
        slug="styregruppe",
        title={"da": "Styregruppe"},
        visibility="staff",
        starts_on=date(2026, 3, 10),
    )
    expand_activity(db.session, staff_only, date(2026, 3, 15), NOW, CPH)
    db.session.commit()
    signed_in("manager")
    response = client.get("/staff/week/2026-W11/poster?lang=en&size=a3")
    reader = PdfReader(BytesIO(response.data))
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    assert round(width_mm) == 297
    text = _text(response.data)
    assert "Week 11" in text and "Walk" in text
    assert "Styregruppe" not in text


def test_an_arabic_poster_prints_the_danish_title_of_an_activity_without_an_arabic_one(
    client, signed_in, walk
):
    signed_in("host")
    response = client.get("/staff/week/2026-W11/poster?lang=ar&size=A3")
    assert response.status_code == 200
    assert "Gå-tur" in _text(response.data)


def test_a_fallback_title_is_printed_once_when_its_language_is_ticked_too():
    titles = {"da": "Gå-tur", "en": "Walk"}
    assert poster_titles(titles, ["ar", "da", "en"], "da") == [("da", "Gå-tur"), ("en", "Walk")]
