"""The host's view of a session sends a fixed number of SQL statements, however many are
booked (no N+1)."""

from __future__ import annotations

from datetime import timedelta

from havehus.extensions import db
from tests.attendance.conftest import person
from tests.conftest import DEFAULT_NOW
from tests.factories import add_booking
from tests.query_count import counted_statements

#: The user and their staff session, the session, its activity, the bookings and their people,
#: the visits, the attendance sheet (read twice), the tallies. Raising it needs a reason.
HOST_VIEW = 10


def _statements(client, path: str) -> int:
    with counted_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_the_host_view_sends_a_fixed_number_of_statements(client, signed_in, tonight):
    session = tonight("Amina", "Ole")
    signed_in("host")
    path = f"/host/sessions/{session.id}"
    before = _statements(client, path)
    for number in range(6):
        add_booking(session, person(f"Extra {number}"), at=DEFAULT_NOW - timedelta(hours=1))
    db.session.commit()
    after = _statements(client, path)
    assert (before, after) == (HOST_VIEW, HOST_VIEW)
