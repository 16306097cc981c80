"""Self check-in by a session's printed QR code, on a resident's own phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Participant, Tally, Visit
from havehus.program.check_in_link import check_in_code, check_in_url
from tests.conftest import DEFAULT_NOW
from tests.staff_fixtures import csrf_from, post_form


def qr_path(session) -> str:
    return f"/sessions/{session.id}/here/{check_in_code(session.id, current_settings().secret_key)}"


def _send(client, session, token: str | None = None, **data: str):
    """Press a button of the check-in page (its form field "action" says which)."""
    page = qr_path(session)
    token = token or csrf_from(client, page)
    headers = {"Referer": f"http://localhost{page}"}
    return client.post(page, data={"csrf_token": token, **data}, headers=headers)


def say_here(client, session, token: str | None = None):
    return _send(client, session, token, action="here")


def say_number(client, session, phone: str, token: str | None = None):
    return _send(client, session, token, action="number", phone=phone)


_numbers = iter(range(10, 100))


def booked(session, name: str, **fields):
    """Book someone with a number people can type (20 12 34 xx), as a tonight booking."""
    from tests.factories import add_booking, add_participant

    participant = add_participant(name, at=DEFAULT_NOW, phone=f"+45201234{next(_numbers)}")
    booking = add_booking(session, participant, at=DEFAULT_NOW, **fields)
    db.session.commit()
    return booking


def known(name: str) -> Participant:
    """Someone the house knows, with a number people can type, who has not booked."""
    from tests.factories import add_participant

    participant = add_participant(name, at=DEFAULT_NOW, phone=f"+45201234{next(_numbers)}")
    db.session.commit()
    return participant


def typed(participant: Participant) -> str:
    """The number as a person types it: without +45."""
    return participant.phone.removeprefix("+45")


def adults(session) -> int:
    db.session.commit()  # see what the requests committed
    found = db.session.scalar(
        select(Tally.count).where(Tally.session_id == session.id, Tally.kind == "adults")
    )
    return found or 0


def visits() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit)) or 0


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html)


# ---------------------------------------------------------------- the code


def test_the_printed_address_opens_the_check_in_page_and_only_with_the_sessions_code(
    client, tonight
):
    session = tonight()
    other = tonight()

    with client.application.test_request_context():
        assert (
            check_in_url(session.id, current_settings()) == f"http://havehus.test{qr_path(session)}"
        )
    page = client.get(qr_path(session))
    assert page.status_code == 200 and "Jeg er her" in page.get_data(as_text=True)
    assert (
        client.get(
            f"/sessions/{session.id}/here/{check_in_code(other.id, current_settings().secret_key)}"
        ).status_code
        == 404
    )
    assert client.get(f"/sessions/{session.id}/here/{'A' * 16}").status_code == 404
    assert client.get(f"/sessions/{session.id}/here/x").status_code == 404
    assert (
        client.get(
            f"/sessions/999999/here/{check_in_code(999999, current_settings().secret_key)}"
        ).status_code
        == 404
    )
    wrong = post_form(client, qr_path(session), f"/sessions/{session.id}/here/{'A' * 16}")
    assert wrong.status_code == 404 and adults(session) == 0


# ---------------------------------------------------------------- I am here, once per phone


def test_i_am_here_counts_a_phone_once_however_often_it_is_tapped(app, tonight):
    session = tonight()
    phone, other_phone = app.test_client(), app.test_client()

    for _tap in range(3):  # a double tap, then back to the page and again
        response = say_here(phone, session)
        assert response.status_code == 303
    say_here(other_phone, session)

    assert adults(session) == 2
    welcome = phone.get(response.location).get_data(as_text=True)
    assert "Velkommen! Tak fordi du kom." in welcome


# ---------------------------------------------------------------- I signed up: my number


def test_i_signed_up_marks_the_booking_and_the_host_sees_it(client, signed_in, tonight):
    session = tonight("Ole")
    amina = booked(session, "Amina")

    response = say_number(client, session, typed(amina.participant))
    again = say_number(client, session, typed(amina.participant))

    assert response.status_code == again.status_code == 303
    db.session.refresh(amina)
    assert amina.status == "attended"
    visit = db.session.scalar(select(Visit))
    assert (visit.source, visit.recorded_by_id, visits()) == ("qr", None, 1)
    assert adults(session) == 0
    signed_in("host")
    sheet = client.get(f"/host/sessions/{session.id}", headers={"Accept": "application/json"})
    people = {p["label"]: p for p in sheet.get_json()["people"]}
    assert people["Amina"]["came"] and people["Amina"]["source"] == "qr"
    assert not people["Ole"]["came"]
    assert "(tjekket ind)" in client.get(f"/host/sessions/{session.id}").get_data(as_text=True)


def test_a_known_person_without_a_booking_is_a_walk_in(client, tonight):
    session = tonight("Amina")
    hodan = known("Hodan")

    say_number(client, session, typed(hodan))

    visit = db.session.scalar(select(Visit))
    assert visit.participant_id == hodan.id and visit.booking_id is None
    assert visit.source == "qr"


@pytest.mark.parametrize("sensitive", [False, True], ids=["dinner", "health appointment"])
def test_the_answer_is_the_same_whatever_number_is_typed(app, tonight, sensitive):
    """Booked, known but not booked, unknown: the same redirect and the same welcome, with
    no name — the page is no way to learn who is known or who booked."""
    session = tonight(sensitive=sensitive)
    sahra = booked(session, "Sahra").participant
    hodan = known("Hodan")
    answers = []
    for number in (typed(sahra), typed(hodan), "20 99 88 77"):
        phone = app.test_client()
        response = say_number(phone, session, number)
        welcome = phone.get(response.location).get_data(as_text=True)
        answers.append((response.status_code, response.location, without_tokens(welcome)))

    assert answers[0] == answers[1] == answers[2]
    for name in ("Sahra", "Hodan", "Amina"):
        assert name not in answers[0][2]
    assert db.session.scalar(select(Visit.participant_id)) == sahra.id
    if sensitive:  # a visit would register a health appointment nobody consented to
        assert visits() == 1 and adults(session) == 2
    else:
        assert visits() == 2 and adults(session) == 1


def test_a_number_that_is_not_a_phone_number_says_so(client, tonight):
    session = tonight()

    response = say_number(client, session, "123")

    assert response.status_code == 400
    assert "Det er ikke et telefonnummer" in response.get_data(as_text=True)
    assert adults(session) == 0 and visits() == 0


def test_one_phone_checks_in_a_family_but_not_a_phone_book(app, client, tonight):
    from havehus.attendance.qr_views import LIMITER_KEY
    from havehus.ratelimit import FixedWindowLimiter

    app.extensions[LIMITER_KEY] = FixedWindowLimiter(clock=lambda: 1000.0)  # one minute, still
    session = tonight()

    answers = [say_number(client, session, f"20 99 88 {n:02d}").status_code for n in range(11)]

    assert answers[:10] == [303] * 10
    assert answers[10] == 429
    assert adults(session) == 1  # unknown numbers from one phone: that phone, once


# ---------------------------------------------------------------- only while it is on


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (lambda s: s.starts_at - timedelta(minutes=31), "30 minutter før"),
        (lambda s: s.ends_at + timedelta(minutes=30), "Tak fordi du kom"),
        (lambda s: s.starts_at + timedelta(days=7), "Tak fordi du kom"),
    ],
    ids=["too early", "after the grace period", "a week later"],
)
def test_outside_the_session_the_code_says_so_kindly_and_counts_nothing(
    app, tonight, clock, moment, message
):
    session = tonight()
    amina = booked(session, "Amina")
    client = app.test_client()
    page = client.get(qr_path(session)).get_data(as_text=True)  # the form, while it is on
    token = csrf_from(client, qr_path(session))
    clock.set(moment(session))

    shown = client.get(qr_path(session))
    here = say_here(client, session, token)
    number = say_number(client, session, typed(amina.participant), token)

    assert shown.status_code == 200 and message in shown.get_data(as_text=True)
    assert 'name="action"' not in shown.get_data(as_text=True)
    assert here.status_code == number.status_code == 409
    assert message in here.get_data(as_text=True)
    assert adults(session) == 0 and visits() == 0
    assert 'name="action"' in page


@pytest.mark.parametrize(
    "moment",
    [lambda s: s.starts_at - timedelta(minutes=29), lambda s: s.ends_at + timedelta(minutes=29)],
    ids=["just before the start", "just after the end"],
)
def test_the_code_works_a_little_before_the_start_and_a_little_after_the_end(
    client, tonight, clock, moment
):
    session = tonight()
    clock.set(moment(session))

    assert say_here(client, session).status_code == 303
    assert adults(session) == 1


def test_a_cancelled_session_checks_nobody_in(client, tonight):
    session = tonight()
    token = csrf_from(client, qr_path(session))
    session.status = "cancelled"
    db.session.commit()

    response = say_here(client, session, token)

    assert response.status_code == 409 and "aflyst" in response.get_data(as_text=True)
    assert adults(session) == 0


# ---------------------------------------------------------------- the host corrects


def test_the_host_removes_a_wrong_qr_check_in(client, signed_in, tonight):
    from tests.attendance.test_host_mode import _tap

    session = tonight()
    say_number(client, session, typed(known("Hodan")))
    say_here(client, session)
    signed_in("host")
    visit = db.session.scalar(select(Visit))

    _tap(client, session, "remove_visit", visit=str(visit.id))
    _tap(client, session, "uncount", kind="adults")

    assert visits() == 0 and adults(session) == 0


# ---------------------------------------------------------------- languages


def test_the_check_in_page_speaks_arabic_right_to_left(client, tonight):
    session = tonight()

    page = client.get(f"{qr_path(session)}?lang=ar").get_data(as_text=True)

    assert 'lang="ar" dir="rtl"' in page
    assert "أنا هنا" in page
    assert 'dir="ltr"' in re.search(r'<input[^>]*name="phone"[^>]*>', page).group(0)


def test_a_post_without_a_button_counts_nothing(client, tonight):
    session = tonight()

    response = _send(client, session, action="sideways")

    assert response.status_code == 400 and adults(session) == 0
