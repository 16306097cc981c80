"""Fixtures of the planner's page tests: staff users, a clock, a weekly walk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from havehus.extensions import db
from havehus.program.recurrence import expand_activity, horizon_until
from tests.program.planner_world import CPH
from tests.staff_fixtures import make_user, signed_in  # noqa: F401  (fixtures)

#: Monday 2 March 2026, 12:00 in Copenhagen: the pages act as if it were then.
NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return NOW


@pytest.fixture
def frozen(clock):
    """The pages act as if it were NOW (the default of this folder's clock)."""
    assert clock.now == NOW


@pytest.fixture
def walk(app, make_location, make_activity, frozen):
    house = make_location()
    activity = make_activity(
        slug="gaa-tur",
        title={"da": "Gå-tur", "en": "Walk"},
        category="walking",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=date(2026, 2, 3),
        start_time=time(10),
        location=house,
        now=NOW,
    )
    expand_activity(db.session, activity, horizon_until(NOW, CPH, 4), NOW, CPH)
    db.session.commit()
    return activity
