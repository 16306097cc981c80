"""Every look at someone's data is logged, and admins see a monthly "who looked at what"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AuditEvent
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking, add_participant
from tests.staff_fixtures import sign_in

NOW = DEFAULT_NOW


def _access(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_health_list_with_names_is_logged_and_summed_up_for_the_month(
    app, clock, make_user, make_activity, make_session
):
    clock.set(NOW)
    vaccination = make_activity(mode="signup", capacity=5, sensitive=True, category="health")
    cafe = make_activity(mode="signup", capacity=5)
    jab = make_session(vaccination, NOW + timedelta(days=2), minutes=15)
    dinner = make_session(cafe, NOW + timedelta(days=2))
    add_booking(jab, add_participant("Leila", at=NOW), at=NOW)
    db.session.commit()
    manager, host, admin = (
        make_user(role, name=role.title()) for role in ("manager", "host", "admin")
    )
    as_manager, as_host, as_admin = app.test_client(), app.test_client(), app.test_client()
    for client, user in ((as_manager, manager), (as_host, host), (as_admin, admin)):
        sign_in(client, user.email)
        client.get("/staff/?lang=en")  # staff pages in English from here on

    assert "Leila" in as_manager.get(f"/staff/sessions/{jab.id}/bookings").get_data(as_text=True)
    as_manager.get(f"/staff/sessions/{jab.id}/bookings")
    as_manager.get(f"/staff/sessions/{dinner.id}/bookings")  # not sensitive: not logged
    as_host.get(f"/staff/sessions/{jab.id}/bookings")  # a host sees counts only: not logged

    logged = _access("access.bookings")
    assert [(e.actor_user_id, e.target_type, e.target_id, e.at) for e in logged] == [
        (manager.id, "Session", str(jab.id), NOW)
    ] * 2

    summary = as_admin.get("/staff/audit/access?month=2026-12").get_data(as_text=True)
    assert "Manager" in summary and "Saw who booked a health appointment" in summary
    assert "<td>2</td><td>1</td>" in summary  # twice, one session
    assert "Nothing found." in as_admin.get("/staff/audit/access?month=2026-11").get_data(
        as_text=True
    )
    assert as_manager.get("/staff/audit/access").status_code == 403


def test_a_manager_opening_a_health_sessions_sheet_in_host_mode_is_logged_once(
    app, clock, make_user, make_activity, make_session
):
    clock.set(NOW)
    vaccination = make_activity(mode="signup", capacity=5, sensitive=True, category="health")
    jab = make_session(vaccination, NOW + timedelta(minutes=30), minutes=15)
    add_booking(jab, add_participant("Leila", at=NOW), at=NOW)
    db.session.commit()
    manager, host = make_user("manager", name="Manager"), make_user("host", name="Host")
    as_manager, as_host = app.test_client(), app.test_client()
    for client, user in ((as_manager, manager), (as_host, host)):
        sign_in(client, user.email)

    opened = as_manager.get(f"/host/sessions/{jab.id}").get_data(as_text=True)
    for _refresh in range(3):  # the open sheet refreshes itself every 15 seconds
        as_manager.get(f"/host/sessions/{jab.id}", headers={"Accept": "application/json"})
    as_host.get(f"/host/sessions/{jab.id}")  # a host sees no names here: nothing to log

    assert "Leila" in opened
    logged = _access("access.bookings")
    assert [(e.actor_user_id, e.target_id) for e in logged] == [(manager.id, str(jab.id))]


def test_a_month_that_is_not_one_gets_a_clear_answer(app, make_user):
    client = app.test_client()
    sign_in(client, make_user("admin").email)
    client.get("/staff/?lang=en")
    for bad in ("2026-13", "december", "0000-01", "2026-1"):
        response = client.get(f"/staff/audit/access?month={bad}")
        assert response.status_code == 400 and "Choose a month like" in response.get_data(
            as_text=True
        )
