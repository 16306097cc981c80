"""The wellbeing pulse: "How are you today?" — five faces, counted per session, never a name."""

from __future__ import annotations

from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AttendanceTap, Pulse
from tests.attendance.test_host_mode import _key, _tap
from tests.attendance.test_kiosk_check_in import _enrol, _pad, _without_number
from tests.attendance.test_qr_check_in import qr_path, say_here
from tests.staff_fixtures import post_form


def _faces(session) -> dict[int, int]:
    db.session.commit()
    found = db.session.execute(
        select(Pulse.face, Pulse.count).where(Pulse.session_id == session.id)
    )
    return {face: count for face, count in found if count}


def test_a_host_hands_over_the_phone_and_each_face_counts_once_per_tap(client, signed_in, tonight):
    session = tonight(wellbeing_pulse=True)
    signed_in("host")
    key = _key()

    page = client.get(f"/host/sessions/{session.id}").get_data(as_text=True)
    for _retry in range(3):  # one tap, sent three times over a bad connection
        _tap(client, session, "pulse", key=key, face="4")
    _tap(client, session, "pulse", face="4")
    state = _tap(client, session, "pulse", face="1", json=True).get_json()

    assert "Hvordan har du det i dag?" in page and page.count('name="face"') == 5
    assert _faces(session) == {4: 2, 1: 1}
    assert state["pulse"] == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 0}


def test_an_activity_that_does_not_ask_shows_no_faces_and_takes_none(client, signed_in, tonight):
    session = tonight()
    signed_in("host")

    page = client.get(f"/host/sessions/{session.id}").get_data(as_text=True)
    refused = _tap(client, session, "pulse", face="3", json=True)

    assert 'name="face"' not in page
    assert refused.status_code == 400 and refused.get_json()["message"]
    assert _faces(session) == {}


def test_a_face_that_cannot_be_read_is_refused_clearly(client, signed_in, tonight):
    session = tonight(wellbeing_pulse=True)
    signed_in("host")

    refused = _tap(client, session, "pulse", face="9", json=True)

    assert refused.status_code == 400 and refused.get_json()["message"]
    assert _faces(session) == {}


def test_after_a_qr_check_in_one_face_per_phone(app, tonight):
    session = tonight(wellbeing_pulse=True)
    phone = app.test_client()
    before = phone.get(qr_path(session)).get_data(as_text=True)
    early = post_form(phone, qr_path(session), f"{qr_path(session)}/pulse", face="2")
    assert early.status_code == 303 and _faces(session) == {}  # not checked in yet

    say_here(phone, session)
    welcome = phone.get(qr_path(session)).get_data(as_text=True)
    for face in ("5", "5", "1"):
        post_form(phone, qr_path(session), f"{qr_path(session)}/pulse", face=face)
    thanks = phone.get(qr_path(session)).get_data(as_text=True)

    assert 'name="face"' not in before
    assert "Hvordan har du det i dag?" in welcome and welcome.count('name="face"') == 5
    assert _faces(session) == {5: 1}
    assert "Tak fordi du fortalte os det." in thanks and 'name="face"' not in thanks


def test_after_a_kiosk_check_in_one_face_per_check_in(client, tonight):
    session = tonight(wellbeing_pulse=True)
    _enrol(client)

    for face in ("3", "4"):
        welcome = client.get(_without_number(client, session).location).get_data(as_text=True)
        assert "Hvordan har du det i dag?" in welcome
        thanks = post_form(client, _pad(session), f"/kiosk/sessions/{session.id}/pulse", face=face)
        assert thanks.location == "/kiosk/here/welcome"
        post_form(client, _pad(session), f"/kiosk/sessions/{session.id}/pulse", face=face)

    assert _faces(session) == {3: 1, 4: 1}
    assert "Tak fordi du fortalte os det." in client.get("/kiosk/here/welcome").get_data(
        as_text=True
    )


def test_the_kiosk_asks_only_where_the_activity_asks(client, tonight):
    session = tonight()
    _enrol(client)

    welcome = client.get(_without_number(client, session).location).get_data(as_text=True)

    assert 'name="face"' not in welcome
    assert '<meta http-equiv="refresh" content="10;url=/kiosk' in welcome


def test_a_face_is_never_linked_to_a_person():
    """No name, no time on the counts; the tap that added one keeps no face."""
    assert set(Pulse.__table__.columns.keys()) == {"id", "session_id", "face", "count"}


def test_the_pulse_tap_keeps_no_face(app, tonight):
    session = tonight(wellbeing_pulse=True)
    phone = app.test_client()
    say_here(phone, session)

    post_form(phone, qr_path(session), f"{qr_path(session)}/pulse", face="5")

    tap = db.session.scalar(select(AttendanceTap).where(AttendanceTap.action == "pulse"))
    assert (tap.subject, tap.recorded_by_id) == ("", None)
