"""`report(...)` sends a fixed number of SQL statements, however long the history (no N+1).

Counted with SQLAlchemy's before_cursor_execute event; timings are measured in
bench/reports.py, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from havehus.extensions import db
from havehus.models import Activity, Department, Participant, Session, Tally, Visit
from havehus.reports.indicators import BY_CHOICES, SESSION_GROUPS, Filters, report
from tests.reports.history import CPH, MADE_AT, QUARTER, build_history

#: indicators.gather: the period's sessions, departments, its visitors with their named
#: visits, the guests they brought, head counts, booking outcomes, who came before the period,
#: and the residents.
STATEMENTS = 8
#: By the sessions' groups (activity, category, month): each visitor's named visits per group
#: too. By department, a person's department is theirs: no further statement.
STATEMENTS_BY_SESSION_GROUP = 9


@pytest.fixture
def clock_start():
    return MADE_AT


@contextmanager
def _counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    db.session.execute(select(1))  # the transaction is open: its BEGIN is not the report's
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _statements(by, filters: Filters | None = None) -> int:
    first, last = QUARTER
    with _counted() as statements:
        report(db.session, first, last, CPH, MADE_AT, by=by, filters=filters or Filters())
    return len(statements)


def _more_history(weeks: int) -> None:
    """Another activity with a session a week, each with three new people and a head count."""
    made = datetime(2025, 11, 1, tzinfo=UTC)
    walk = Activity(
        slug="gaatur",
        title={"da": "Gåtur"},
        summary={},
        category="walking",
        rrule="",
        starts_on=date(2025, 12, 1),
        start_time=time(10),
        duration_minutes=60,
        created_at=made,
        updated_at=made,
    )
    db.session.add(walk)
    department = db.session.scalar(select(Department).order_by(Department.id))
    for week in range(weeks):
        starts = datetime(2025, 12, 1, 9, tzinfo=UTC) + timedelta(weeks=week)
        session = Session(
            activity=walk,
            uid=f"walk-{week}@test",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            created_at=made,
            updated_at=made,
        )
        db.session.add(session)
        db.session.add(Tally(session=session, kind="adults", count=3, updated_at=starts))
        for n in range(3):
            person = Participant(
                public_id=f"walker-{week}-{n}",
                display_name="Walker",
                department=department,
                created_at=made,
            )
            db.session.add(Visit(session=session, participant=person, source="host", at=starts))
    db.session.commit()


@pytest.mark.parametrize("by", [None, *BY_CHOICES])
def test_the_report_sends_the_same_few_statements_however_much_history(any_app, clock, by):
    build_history()
    expected = STATEMENTS_BY_SESSION_GROUP if by in SESSION_GROUPS else STATEMENTS

    before = _statements(by)
    _more_history(weeks=20)
    after = _statements(by)

    assert before == after == expected


def test_filters_add_no_statement(any_app, clock):
    build_history()
    garden = db.session.scalar(select(Activity.id).where(Activity.slug == "havefaellesskabet"))
    department = db.session.scalar(select(Department.id).order_by(Department.id))

    counts = {
        _statements(None, Filters(activity_id=garden)),
        _statements(None, Filters(category="food", location_id=1)),
        _statements("department", Filters(department_id=department)),
    }
    by_month = _statements("month", Filters(department_id=department))

    assert counts == {STATEMENTS}
    assert by_month == STATEMENTS_BY_SESSION_GROUP
