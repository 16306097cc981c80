"""Host mode: a host marks who came in seconds, and nothing is counted twice or lost."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from havehus.attendance.sheet import labels
from havehus.extensions import db
from havehus.models import AuditEvent, Booking, Participant, Tally, Visit
from havehus.signup.invariants import seat_drift
from tests.attendance.conftest import booking_of, person
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking
from tests.staff_fixtures import csrf_from, post_form

_keys = itertools.count(1)


def _key() -> str:
    return f"test-tap-key-{next(_keys):08d}"


def _tap(client, session, action: str, *, key: str | None = None, json: bool = False, **fields):
    sheet = f"/host/sessions/{session.id}"
    data = {"csrf_token": csrf_from(client, sheet), "action": action, "key": key or _key()}
    headers = {"Referer": f"http://localhost{sheet}"}
    if json:
        headers["Accept"] = "application/json"
    return client.post(f"{sheet}/tap", data={**data, **fields}, headers=headers)


def _post(client, session, what: str, **fields):
    sheet = f"/host/sessions/{session.id}"
    data = {"csrf_token": csrf_from(client, sheet), **fields}
    return client.post(
        f"{sheet}/{what}", data=data, headers={"Referer": f"http://localhost{sheet}"}
    )


def _tally(session, kind: str = "adults") -> int:
    db.session.commit()  # a fresh snapshot: see what other connections committed meanwhile
    found = db.session.scalar(
        select(Tally.count).where(Tally.session_id == session.id, Tally.kind == kind)
    )
    return found or 0


# ---------------------------------------------------------------- the pages


def test_host_mode_is_not_for_partners(client, signed_in, tonight):
    session = tonight("Amina")
    assert client.get("/host").status_code == 302  # sign in first
    signed_in("partner")

    assert client.get("/host").status_code == 403
    assert client.get(f"/host/sessions/{session.id}").status_code == 403


def test_host_mode_shows_todays_sessions_first(client, signed_in, tonight):
    session = tonight("Amina")
    signed_in("host")
    page = client.get("/host").get_data(as_text=True)

    assert "I dag" in page and f"/host/sessions/{session.id}" in page
    sheet = client.get(f"/host/sessions/{session.id}").get_data(as_text=True)
    assert "Amina" in sheet and "+1 voksen" in sheet


def test_host_mode_speaks_the_hosts_language(client, signed_in, tonight):
    session = tonight("Amina")
    signed_in("host")

    page = client.get(f"/host/sessions/{session.id}?lang=ar").get_data(as_text=True)

    assert 'dir="rtl"' in page and 'lang="ar"' in page


def test_a_date_that_cannot_be_read_shows_today_with_a_message(client, signed_in, tonight):
    tonight()
    signed_in("host")
    for raw in ("9999-99-99", "0001-01-01", "2026-13-01", "x" * 300):
        response = client.get(f"/host?date={raw}")
        assert response.status_code == 200
        assert "I dag" in response.get_data(as_text=True)


def test_first_names_get_an_initial_when_two_share_one():
    assert labels(["Fatima Ali", "Fatima Hassan", "Ole"]) == ["Fatima A.", "Fatima H.", "Ole"]
    assert labels(["Sara", "Sara"]) == ["Sara (1)", "Sara (2)"]


# ---------------------------------------------------------------- came, once


def test_came_marks_the_booking_and_the_same_tap_again_changes_nothing(client, signed_in, tonight):
    session = tonight("Amina", "Ole")
    signed_in("host")
    amina = booking_of(session, "Amina")
    key = _key()

    first = _tap(client, session, "came", key=key, booking=str(amina.id))
    again = _tap(client, session, "came", key=key, booking=str(amina.id), json=True)

    assert first.status_code == 303
    assert again.status_code == 200
    state = again.get_json()
    assert state["named_visits"] == 1 and state["visits"] == 1
    assert [p["came"] for p in state["people"]] == [True, False]
    db.session.refresh(amina)
    assert amina.status == "attended"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_undo_puts_the_booking_back(client, signed_in, tonight):
    session = tonight("Amina")
    signed_in("host")
    amina = booking_of(session, "Amina")
    _tap(client, session, "came", booking=str(amina.id))

    _tap(client, session, "not_came", booking=str(amina.id))

    db.session.refresh(amina)
    assert amina.status == "confirmed"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_someone_from_the_waiting_list_who_came_gets_a_seat_and_undo_gives_it_back(
    client, signed_in, tonight
):
    session = tonight("Amina", capacity=1)
    waiting = add_booking(session, person("Ole"), "waitlisted", at=DEFAULT_NOW)
    db.session.commit()
    signed_in("host")

    _tap(client, session, "came", booking=str(waiting.id))
    db.session.refresh(session)
    assert session.seats_taken == 2 and seat_drift(db.session) == []
    _tap(client, session, "not_came", booking=str(waiting.id))

    db.session.refresh(session)
    db.session.refresh(waiting)
    assert waiting.status == "waitlisted" and session.seats_taken == 1


def test_counts_go_up_once_per_key_and_down_never_below_zero(client, signed_in, tonight):
    session = tonight()
    signed_in("host")
    key = _key()

    for _ in range(3):  # a flaky connection sends the same tap three times
        _tap(client, session, "count", key=key, kind="adults")
    _tap(client, session, "count", kind="adults")
    _tap(client, session, "count", kind="children")
    assert _tally(session) == 2 and _tally(session, "children") == 1

    _tap(client, session, "uncount", kind="children")
    _tap(client, session, "uncount", kind="children")
    assert _tally(session, "children") == 0


@pytest.mark.parametrize(
    "fields",
    [{"kind": "grown-ups"}, {"key": "short"}, {"key": "k" * 65}, {"key": "bad key with spaces!"}],
)
def test_a_tap_that_cannot_be_read_is_refused_clearly(client, signed_in, tonight, fields):
    session = tonight()
    signed_in("host")
    data = {"kind": "adults", **fields}

    response = _tap(client, session, "count", json=True, **data)

    assert response.status_code == 400
    assert response.get_json()["message"]
    assert _tally(session) == 0


@pytest.mark.slow
def test_parallel_taps_from_two_hosts_count_each_tap_once(any_app, tonight, make_user):
    """Two hosts tap at once, and each retries every tap: on both databases the count is the
    number of different taps."""
    from havehus.attendance import services
    from havehus.models import Session
    from havehus.people.audit import Actor

    session = tonight()
    hosts = [make_user("host"), make_user("host")]
    db.session.commit()
    session_id, host_ids = session.id, [h.id for h in hosts]
    keys = [_key() for _ in range(10)]
    barrier = threading.Barrier(4)
    leaks: list[BaseException] = []

    def host(index: int) -> None:
        actor = Actor("user", user_id=host_ids[index % 2], role="host")
        with any_app.app_context():
            try:
                barrier.wait()
                for key in keys[(index % 2) * 5 : (index % 2) * 5 + 5]:
                    target = db.session.get(Session, session_id)
                    services.count(db.session, target, "adults", 1, key, DEFAULT_NOW, actor)
                    db.session.commit()
            except BaseException as exc:
                leaks.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=host, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert leaks == []
    assert _tally(session) == 10


# ---------------------------------------------------------------- add someone


def test_add_someone_new_with_just_a_first_name(client, signed_in, tonight):
    session = tonight()
    signed_in("host")

    response = _post(client, session, "add", name="Hodan", channel="friend")

    assert response.status_code == 303
    visit = db.session.scalar(select(Visit))
    assert visit.participant.display_name == "Hodan" and visit.booking_id is None
    assert visit.participant.channel == "friend" and visit.source == "host"


def test_add_someone_found_by_the_search_marks_their_booking(client, signed_in, tonight):
    session = tonight("Amina")
    signed_in("host")
    amina = booking_of(session, "Amina")

    found = client.get(f"/host/sessions/{session.id}?q=Ami").get_data(as_text=True)
    assert f'value="{amina.participant_id}"' in found
    _post(client, session, "add", participant_id=str(amina.participant_id))
    _post(client, session, "add", participant_id=str(amina.participant_id))  # twice: one visit

    db.session.refresh(amina)
    assert amina.status == "attended"
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 1


def test_add_someone_without_a_name_says_so(client, signed_in, tonight):
    session = tonight()
    signed_in("host")

    response = _post(client, session, "add", name="  ")

    assert response.status_code == 400 and "fornavn" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0


def test_a_wrong_check_in_can_be_removed(client, signed_in, tonight):
    session = tonight()
    signed_in("host")
    _post(client, session, "add", name="Hodan")
    visit = db.session.scalar(select(Visit))

    _tap(client, session, "remove_visit", visit=str(visit.id))

    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


# ---------------------------------------------------------------- health appointments


def test_a_host_sees_and_enters_only_counts_at_a_health_appointment(client, signed_in, tonight):
    session = tonight("Sahra", sensitive=True)
    signed_in("host")
    sahra = booking_of(session, "Sahra")

    page = client.get(f"/host/sessions/{session.id}").get_data(as_text=True)
    state = client.get(f"/host/sessions/{session.id}", headers={"Accept": "application/json"})
    marked = _tap(client, session, "came", booking=str(sahra.id), json=True)
    counted = _tap(client, session, "count", kind="adults", json=True)
    found = client.get(f"/host/sessions/{session.id}?q=Sahra").get_data(as_text=True)

    assert "Sahra" not in page and 'name="participant_id" value=' not in found
    assert state.get_json()["people"] == [] and "Sahra" not in state.get_data(as_text=True)
    assert marked.status_code == 403
    assert counted.status_code == 200 and _tally(session) == 1
    db.session.refresh(sahra)
    assert sahra.status == "confirmed"


def test_a_manager_marks_who_came_to_a_health_appointment(client, signed_in, tonight):
    session = tonight("Sahra", sensitive=True)
    signed_in("manager")
    sahra = booking_of(session, "Sahra")

    assert "Sahra" in client.get(f"/host/sessions/{session.id}").get_data(as_text=True)
    _tap(client, session, "came", booking=str(sahra.id))

    db.session.refresh(sahra)
    assert sahra.status == "attended"


# ---------------------------------------------------------------- closing and locking


def test_closing_marks_everyone_not_marked_as_not_come(client, signed_in, tonight):
    session = tonight("Amina", "Ole", "Sara")
    signed_in("host")
    _tap(client, session, "came", booking=str(booking_of(session, "Amina").id))

    response = _post(client, session, "close", confirm="yes")

    assert response.status_code == 303
    statuses = sorted(db.session.scalars(select(Booking.status)))
    assert statuses == ["attended", "no_show", "no_show"]
    assert seat_drift(db.session) == []
    assert "Kom ikke: 2" in client.get(response.location).get_data(as_text=True)


def test_closing_needs_the_confirmation(client, signed_in, tonight):
    session = tonight("Amina")
    signed_in("host")

    assert _post(client, session, "close").status_code == 400
    assert db.session.scalar(select(Booking.status)) == "confirmed"


def test_only_a_manager_closes_a_health_appointment(client, signed_in, tonight):
    session = tonight("Sahra", sensitive=True)
    signed_in("host")

    response = _post(client, session, "close", confirm="yes")

    assert response.status_code == 303
    assert db.session.scalar(select(Booking.status)) == "confirmed"


def test_a_week_after_the_end_it_locks_and_a_manager_opens_it_with_a_trace(
    client, signed_in, tonight, clock
):
    session = tonight("Amina")
    amina = booking_of(session, "Amina")
    clock.set(session.ends_at + timedelta(days=7, minutes=1))
    signed_in("host")

    locked = _tap(client, session, "came", booking=str(amina.id), json=True)
    assert locked.status_code == 409
    assert "låst" in locked.get_json()["message"]

    post_form(client, "/host", "/staff/logout")
    signed_in("manager")
    assert _post(client, session, "unlock", confirm="yes").status_code == 303
    assert _tap(client, session, "came", booking=str(amina.id)).status_code == 303

    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"attendance.unlock", "attendance.came"} <= actions
    db.session.refresh(amina)
    assert amina.status == "attended"


def test_a_session_far_ahead_cannot_be_marked_yet(client, signed_in, tonight, clock):
    session = tonight("Amina")
    clock.set(session.starts_at - timedelta(days=1))
    signed_in("host")

    response = _tap(client, session, "count", kind="adults", json=True)

    assert response.status_code == 409 and _tally(session) == 0
