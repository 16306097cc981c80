"""The printed QR codes: each session on the week poster, and a session's own check-in sign,
open that session's check-in page — and the manager decides which activities ask how people are."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Activity, Tally
from havehus.program.check_in_link import check_in_url
from havehus.program.poster import entry_urls
from havehus.program.services import week_program
from tests.program.planner_world import CPH
from tests.program.test_planner_views import _new_activity_form, _session_on
from tests.staff_fixtures import csrf_from, post_form


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_each_session_on_the_week_poster_opens_its_own_check_in_page(app, client, walk, clock):
    tuesday = _session_on(walk, date(2026, 3, 10))
    with app.test_request_context():
        days = week_program(db.session, date(2026, 3, 9), date(2026, 3, 2), CPH)
        urls = entry_urls(days, current_settings())
        expected = check_in_url(tuesday.id, current_settings())
    assert urls == {tuesday.id: expected}
    path = expected.removeprefix("http://havehus.test")
    clock.set(datetime(2026, 3, 10, 10, 15, tzinfo=CPH))

    token = csrf_from(client, path)
    response = client.post(
        path,
        data={"csrf_token": token, "action": "here"},
        headers={"Referer": f"http://localhost{path}"},
    )

    assert response.status_code == 303
    assert db.session.scalar(select(Tally.count).where(Tally.session_id == tuesday.id)) == 1


def test_the_session_sign_prints_the_call_to_scan_in_the_ticked_languages(client, signed_in, walk):
    session = _session_on(walk, date(2026, 3, 10))
    signed_in("host")

    page = client.get(f"/staff/sessions/{session.id}").get_data(as_text=True)
    response = client.get(f"/staff/sessions/{session.id}/sign?lang=da&lang=en&lang=tr")

    assert (
        f'action="/staff/sessions/{session.id}/sign"' in page and "Print tjek ind-skiltet" in page
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert len(PdfReader(BytesIO(response.data)).pages) == 1
    assert "Gå-tur" in text and "Walk" in text and "tirsdag den 10. marts 2026" in text
    for call in ("Sig, at du er her", "Say you are here", "Burada olduğunuzu bildirin"):
        assert call in text


def test_a_sign_without_ticked_languages_speaks_every_language(client, signed_in, walk):
    session = _session_on(walk, date(2026, 3, 10))
    signed_in("manager")

    text = _text(client.get(f"/staff/sessions/{session.id}/sign").data)

    assert "Sig, at du er her" in text and "Say you are here" in text


def test_a_cancelled_session_has_no_sign_to_print(client, signed_in, walk):
    session = _session_on(walk, date(2026, 3, 10))
    session.status = "cancelled"
    db.session.commit()
    signed_in("host")

    response = client.get(f"/staff/sessions/{session.id}/sign")

    assert response.status_code == 302
    assert "aflyst" in client.get(response.location).get_data(as_text=True)


def test_the_manager_makes_an_activity_ask_how_people_are(client, signed_in, walk):
    signed_in("manager")
    form = _new_activity_form(wellbeing_pulse="y")

    assert post_form(client, "/staff/activities/new", **form).status_code == 302
    created = db.session.scalar(select(Activity).where(Activity.slug == "sproghjaelp"))
    assert created.wellbeing_pulse
    edit = client.get(f"/staff/activities/{created.id}").get_data(as_text=True)
    walk_page = client.get(f"/staff/activities/{walk.id}").get_data(as_text=True)
    assert "checked" in _checkbox(edit, "wellbeing_pulse")
    assert "checked" not in _checkbox(walk_page, "wellbeing_pulse")
    assert "Hvordan har du det i dag?" in walk_page


def _checkbox(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
