"""Yearly targets count the indicator report's own figures over their scope (havehus/reports/
goals.py), on the hand-built history of tests/reports/history.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Activity, AuditEvent, Location, Session, Target
from havehus.people.audit import Actor
from havehus.reports import goals
from havehus.reports.goals import TargetData
from havehus.reports.indicators import Filters, report
from tests.reports.history import CPH, MADE_AT, build_history

HOST = Actor("user", 2, role="host")
ONE_LINE = "Use one line of ordinary text (no line breaks or control characters)."


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def manager(make_user) -> Actor:
    return Actor("user", make_user("manager").id, role="manager")


def _activity(slug: str) -> Activity:
    found = db.session.scalar(select(Activity).where(Activity.slug == slug))
    assert found is not None
    return found


def _house_with_types(manager: Actor) -> dict[str, Activity]:
    """The history, with the dinner a theme event tagged "mad" and one garden morning held in
    the park, a place outside the area."""
    build_history()
    dinner, garden = _activity("sammen-om-maden"), _activity("havefaellesskabet")
    dinner.activity_type, dinner.theme_tags = "theme", ["Mad", "fællesskab"]
    park = Location(slug="parken", name="Parken", address="")
    db.session.add(park)
    db.session.flush()
    march = db.session.scalar(
        select(Session).where(Session.activity_id == garden.id, Session.uid.contains("2026-03-07"))
    )
    assert march is not None
    march.location_id = park.id
    goals.set_outside_locations(db.session, [park.id], MADE_AT, manager)
    db.session.commit()
    return {"dinner": dinner, "garden": garden, "park": park}


def test_targets_count_the_reports_figures_over_their_scope(any_app, manager):
    house = _house_with_types(manager)
    themed = goals.create_target(
        db.session,
        TargetData(year="2026", measure="sessions_held", amount="6", sub_goal="Delmål 2",
                   activity_type="theme"),
        MADE_AT, manager,
    )  # fmt: skip
    outside = goals.create_target(
        db.session,
        TargetData(year="2026", measure="sessions_held", amount="1", outside_area=True),
        MADE_AT, manager,
    )  # fmt: skip
    tagged = goals.create_target(
        db.session,
        TargetData(year="2026", measure="unique_participants", amount="30", theme="mad"),
        MADE_AT, manager,
    )  # fmt: skip
    db.session.commit()

    shown = {item.target.id: item for item in goals.progress(db.session, 2026, CPH, MADE_AT)}

    # Six dinners were held in 2026 (1 and 14 January, 11 February, 11 and 31 March, 1 April;
    # 25 February was cancelled): the theme target is reached.
    assert (shown[themed.id].actual, shown[themed.id].met) == (6, True)
    # One garden morning took place in the park.
    assert (shown[outside.id].actual, shown[outside.id].met) == (1, True)
    # The tag matches whatever its case; the count is the report's own, for the dinner.
    dinner_year = report(
        db.session, date(2026, 1, 1), date(2026, 12, 31), CPH, MADE_AT,
        filters=Filters(activity_id=house["dinner"].id),
    )[-1]  # fmt: skip
    assert shown[tagged.id].actual == dinner_year.unique_participants == 20
    assert (shown[tagged.id].met, shown[tagged.id].percent) == (False, 67)
    assert all(not item.frozen for item in shown.values())


def test_an_at_most_target_is_met_while_the_count_stays_below(any_app, manager):
    _house_with_types(manager)
    target = goals.create_target(
        db.session,
        TargetData(year="2025", measure="visits", comparison="<=", amount="5"),
        MADE_AT, manager,
    )  # fmt: skip
    (item,) = goals.progress(db.session, 2025, CPH, MADE_AT)
    # December 2025: a dinner with three people, a garden morning with one named and two
    # counted.
    assert (item.target.id, item.actual, item.met) == (target.id, 6, False)


def test_a_target_is_edited_and_deleted_with_an_audit_trail(any_app, manager):
    _house_with_types(manager)
    target = goals.create_target(
        db.session, TargetData(year="2026", measure="visits", amount="50"), MADE_AT, manager
    )
    goals.update_target(
        db.session, target, TargetData(year="2026", measure="visits", amount="80"), MADE_AT,
        manager,
    )  # fmt: skip
    assert goals.target_data(target).amount == "80"
    goals.delete_target(db.session, target, MADE_AT, manager)
    db.session.commit()

    assert db.session.scalars(select(Target)).all() == []
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("report.target"))
    ).all()
    assert sorted(actions) == [
        "report.target_changed",
        "report.target_created",
        "report.target_deleted",
    ]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("year", "99999", "Give a year as four digits, e.g. 2026."),
        ("year", "1999", "Give a year from 2000 to 2100."),
        ("year", "２０２６", "Give a year as four digits, e.g. 2026."),
        ("amount", "9" * 40, "Give a number of at most 10,000,000."),
        ("amount", "-5", "Give a whole number of 0 or more, e.g. 30."),
        ("amount", "", "Please give a number."),
        ("sub_goal", "Delmål\x002", ONE_LINE),
        ("sub_goal", "Delmål\r\n2", ONE_LINE),
        ("sub_goal", "x" * 201, "Use at most 200 characters."),
        ("measure", "seats", "Choose one of the options."),
        ("activity_type", "party", "Choose one of the options."),
        ("activity_id", "99999999999999999999", "Choose one of the options."),
        ("activity_id", "424242", "Choose one of the options."),
        ("theme", "mad\x00", ONE_LINE),
    ],
)  # fmt: skip
def test_a_wrong_field_gets_its_own_message_and_nothing_is_saved(
    any_app, manager, field, typed, message
):
    typed_target = {"year": "2026", "measure": "visits", "amount": "10", field: typed}

    with any_app.test_request_context("/staff/reports/targets?lang=en"):
        with pytest.raises(HavehusError) as raised:
            goals.create_target(db.session, TargetData(**typed_target), MADE_AT, manager)

    assert raised.value.fields == {field: message}
    db.session.rollback()
    assert db.session.scalars(select(Target)).all() == []


def test_only_managers_set_targets(any_app, manager):
    with pytest.raises(HavehusError) as raised:
        goals.create_target(
            db.session, TargetData(year="2026", measure="visits", amount="1"), MADE_AT, HOST
        )
    assert raised.value.code == "forbidden"
