"""The upload page /staff/reports/import: managers import, see each bad row by its line."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import AuditEvent, DepartmentPopulation, Participant, Session, Visit

PAGE = "/staff/reports/import"
ATTENDANCE = (
    "date,activity,department,participant,anonymous\n"
    "2025-03-05,Gammel yoga,,Fatima,\n"
    "2025-03-05,Gammel yoga,,,6\n"
)


def _upload(client: FlaskClient, kind: str, content: bytes, name: str = "liste.csv"):
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(rf'name="{kind}-csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    return client.post(
        f"{PAGE}/{kind}",
        data={f"{kind}-csrf_token": token.group(1), f"{kind}-file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers={"Referer": f"http://localhost{PAGE}"},
        follow_redirects=True,
    )


def test_a_manager_uploads_attendance_and_the_same_file_again_changes_nothing(client, signed_in):
    signed_in("manager")

    first = _upload(client, "attendance", ATTENDANCE.encode())
    after_first = db.session.scalar(select(func.count(Visit.id)))
    again = _upload(client, "attendance", ATTENDANCE.encode())

    assert first.status_code == 200 and again.status_code == 200
    assert after_first == 1 and db.session.scalar(select(func.count(Visit.id))) == 1
    assert db.session.scalar(select(func.count(Session.id))) == 1
    assert "Fatima" not in db.session.scalar(select(Participant.display_name))
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("import.attendance") == 2


def test_a_bad_file_is_shown_back_line_by_line_and_nothing_is_imported(client, signed_in):
    signed_in("admin")
    bad = ATTENDANCE + "2025-13-05,Gammel yoga,,Ole,\n2025-03-06,Gammel yoga,,,mange\n"

    response = _upload(client, "attendance", bad.encode())

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", page)
    assert [line for line, _message in rows] == ["4", "5"]
    assert "2025-13-05" in rows[0][1] and "mange" in rows[1][1]
    assert db.session.scalar(select(func.count(Session.id))) == 0


def test_departments_upload_and_a_file_that_is_not_text(client, signed_in):
    signed_in("manager")
    good = "department,year,residents_18_plus,residents_65_plus,source\nAfd. 11,2025,180,40,BL\n"

    imported = _upload(client, "departments", good.encode())
    binary = _upload(client, "departments", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    empty = _upload(client, "departments", b"", name="")

    assert imported.status_code == 200
    assert db.session.scalar(select(DepartmentPopulation.adults)) == 180
    assert binary.status_code == 400 and "<td>" in binary.get_data(as_text=True)
    assert empty.status_code == 400  # no file chosen: the form says so


def test_hosts_may_not_import(client, signed_in):
    """(Every visitor on every import route: tests/authz_matrix.toml.)"""
    signed_in("host")

    assert client.get(PAGE).status_code == 403
