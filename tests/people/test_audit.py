"""The audit trail is visible to administrators and can be filtered."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from havehus.extensions import db
from havehus.people import audit
from havehus.people.audit import CLI, AuditFilter
from tests.staff_fixtures import post_form, sign_in

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def test_admins_see_sign_ins_and_changes(client, signed_in, make_user):
    signed_in("admin")
    host = make_user("host")
    post_form(client, f"/staff/users/{host.id}", f"/staff/users/{host.id}/role", role="partner")
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "auth.login" in page and "user.role_change" in page


def test_the_audit_trail_can_be_filtered_by_action(client, signed_in, make_user):
    signed_in("admin")
    sign_in(client.application.test_client(), "nobody@havehus.example", "wrong wrong wrong")
    page = client.get("/staff/audit?action=auth.login_failed").get_data(as_text=True)
    assert "auth.login_failed" in page and "user.create" not in page


def test_the_audit_trail_can_be_filtered_by_date(client, signed_in):
    signed_in("admin")
    page = client.get("/staff/audit?date_from=2000-01-01&date_to=2000-01-02").get_data(as_text=True)
    assert "Intet fundet." in page


def test_managers_cannot_read_the_audit_trail(client, signed_in):
    signed_in("manager")
    assert client.get("/staff/audit").status_code == 403


def test_a_date_filter_takes_whole_local_days(app):
    def at(local: datetime) -> None:
        audit.record(db.session, f"test.{local:%d-%H%M}", local.astimezone(UTC), CLI)

    for local in (
        datetime(2026, 11, 30, 23, 59, tzinfo=COPENHAGEN),
        datetime(2026, 12, 1, 0, 0, tzinfo=COPENHAGEN),
        datetime(2026, 12, 1, 23, 59, tzinfo=COPENHAGEN),
        datetime(2026, 12, 2, 0, 0, tzinfo=COPENHAGEN),
    ):
        at(local)
    only_first_december = AuditFilter(action="test.", date_from=date(2026, 12, 1),
                                       date_to=date(2026, 12, 1))  # fmt: skip
    found = db.session.scalars(audit.audit_list(only_first_december, COPENHAGEN))
    assert [event.action for event in found] == ["test.01-2359", "test.01-0000"]
