"""How many SQL statements the busiest pages send: a fixed number, however much is on them
(no N+1). A public page is counted on its first render, before the page cache holds it.
The host view: tests/attendance/test_host_view_queries.py; the report:
tests/reports/test_report_queries.py."""

from __future__ import annotations

import pytest

from havehus.extensions import db
from havehus.program.services import bump_program_version
from tests.factories import add_booking, add_participant
from tests.program_fixtures import NOW
from tests.query_count import counted_statements

#: Statements per page. Raising one needs a reason (the commit says which query and why).
#: The pages' own: the sessions (with their places joined), their activities (one statement,
#: each activity once: joined, an activity's titles and summaries in every language came
#: along with each of its sessions), the activity; and the cache's next moment of change.
#: Reading the versions goes on the driver's connection.
PUBLIC_PAGES = {
    "/": 3,
    "/week/2026-W50": 3,
    "/activities/sammen-om-maden": 3,
    "/kiosk": 3,
}


def _statements(client, path: str) -> int:
    with counted_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def _more_of_everything(program) -> None:
    """Bookings on every coming dinner and vaccination slot, then a program change."""
    for activity in (program.dinner, program.vaccination):
        for session in program.sessions(activity):
            if session.starts_at > NOW:
                add_booking(session, add_participant(at=NOW), at=NOW)
    bump_program_version(db.session, NOW)
    db.session.commit()


@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_public_pages_send_a_fixed_number_of_statements(client, program, path):
    before = _statements(client, path)
    _more_of_everything(program)
    after = _statements(client, path)
    assert (before, after) == (PUBLIC_PAGES[path], PUBLIC_PAGES[path])
