"""The indicator register (havehus/reports/register.py): computed indicators fill themselves in
from the indicator report, external ones are typed in per year, and the follow-up says
whether each year moved the wanted way from the baseline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Department, RegisterIndicator, RegisterValue
from havehus.people.audit import Actor
from havehus.reports import register, snapshots
from havehus.reports.indicators import report
from havehus.reports.register import IndicatorData, ValueData, moved_as_wanted
from havehus.reports.scopes import Quantity
from tests.reports.history import CPH, MADE_AT, build_history


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def manager(make_user) -> Actor:
    return Actor("user", make_user("manager").id, role="manager")


def _department(name: str) -> Department:
    found = db.session.scalar(select(Department).where(Department.name == name))
    assert found is not None
    return found


def test_a_computed_participation_rate_is_the_department_rows_own(any_app, manager):
    build_history()
    afd22 = _department("Afd. 22")
    line = register.create_indicator(
        db.session,
        IndicatorData(sub_goal="Delmål 2", name="Deltagelse, afd. 22", kind="computed",
                      figure="participation_rate", department_id=str(afd22.id),
                      baseline_value="20", baseline_of="220", baseline_year="2025",
                      municipal_baseline="4,5–7,2 %", data_source="Appen", direction="rise"),
        MADE_AT, manager,
    )  # fmt: skip
    db.session.commit()

    (row,) = register.follow_up(db.session, [2026], CPH, MADE_AT)

    by_department = report(
        db.session, date(2026, 1, 1), date(2026, 12, 31), CPH, MADE_AT, by="department"
    )
    afd22_row = next(r for r in by_department if r.group == "Afd. 22")
    (cell,) = row.cells
    assert cell.value == Quantity(Decimal(afd22_row.unique_participants), 220)
    assert row.baseline == Quantity(Decimal(20), 220)
    assert (cell.moved, cell.frozen, row.indicator.id) == (
        afd22_row.unique_participants > 20,
        False,
        line.id,
    )


def test_a_computed_baseline_left_empty_is_the_baseline_years_figure(any_app, manager):
    build_history()
    register.create_indicator(
        db.session,
        IndicatorData(name="Besøg", kind="computed", figure="visits", baseline_year="2025",
                      direction="rise"),
        MADE_AT, manager,
    )  # fmt: skip

    (row,) = register.follow_up(db.session, [2025, 2026], CPH, MADE_AT)

    # December 2025: a dinner with three people and a garden morning with one named visit and
    # two in the head count; 2026 has the quarter's 79 and the four visits of April.
    assert (row.baseline, row.baseline_computed) == (Quantity(Decimal(6)), True)
    assert [(c.year, c.value, c.moved) for c in row.cells] == [
        (2025, Quantity(Decimal(6)), False),
        (2026, Quantity(Decimal(84)), True),
    ]


def test_external_figures_are_typed_in_per_year_and_frozen_years_refuse_them(any_app, manager):
    survey = register.create_indicator(
        db.session,
        IndicatorData(sub_goal="Delmål 1", name="Meget tilfredse/tilfredse", kind="external",
                      figure="visits", activity_type="theme", baseline_value="100",
                      baseline_of="148", baseline_year="2023",
                      data_source="Beboerundersøgelse", direction="rise"),
        MADE_AT, manager,
    )  # fmt: skip
    # Typed in: the app's figure and scope are not kept.
    assert (survey.figure, survey.activity_type) == (None, None)
    register.set_value(
        db.session, survey, ValueData("2024", "115", "148", "Survey 2024"), MADE_AT, manager
    )
    register.set_value(db.session, survey, ValueData("2025", "90", "148", ""), MADE_AT, manager)
    register.set_value(db.session, survey, ValueData("2025", "95,5", "148", ""), MADE_AT, manager)
    snapshots.freeze_year(db.session, "2025", CPH, MADE_AT, manager, frozen_by="Mette")
    db.session.commit()

    with pytest.raises(HavehusError) as raised:
        register.set_value(db.session, survey, ValueData("2025", "140", "148"), MADE_AT, manager)
    assert raised.value.fields.keys() == {"year"}
    with pytest.raises(HavehusError):
        register.remove_value(db.session, survey, 2025, MADE_AT, manager)
    db.session.rollback()

    (row,) = register.follow_up(db.session, [2024, 2025, 2026], CPH, MADE_AT)
    assert [(c.value, c.frozen, c.moved) for c in row.cells] == [
        (Quantity(Decimal(115), 148), False, True),
        (Quantity(Decimal("95.5"), 148), True, False),
        (None, False, None),
    ]
    values = db.session.scalars(select(RegisterValue.value).order_by(RegisterValue.year)).all()
    assert values == ["115", "95.5"]


@pytest.mark.parametrize(
    ("direction", "baseline", "value", "moved"),
    [
        ("rise", Quantity(Decimal(10)), Quantity(Decimal(11)), True),
        ("rise", Quantity(Decimal(10)), Quantity(Decimal(10)), False),
        ("fall", Quantity(Decimal(41), 650), Quantity(Decimal(30), 650), True),
        ("fall", Quantity(Decimal(41), 650), Quantity(Decimal(50), 650), False),
        ("hold", Quantity(Decimal(100)), Quantity(Decimal(105)), True),
        ("hold", Quantity(Decimal(100)), Quantity(Decimal(94)), False),
        ("hold", Quantity(Decimal(0)), Quantity(Decimal(0)), True),
        # A share beside a number, a share of nothing, nothing at all: not compared.
        ("rise", Quantity(Decimal(10)), Quantity(Decimal(11), 20), None),
        ("rise", Quantity(Decimal(1), 0), Quantity(Decimal(1), 2), None),
        ("rise", None, Quantity(Decimal(1)), None),
    ],
)
def test_the_wanted_direction(direction, baseline, value, moved):
    assert moved_as_wanted(direction, baseline, value) is moved


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "Trivsel\r\nI området"}, {"name"}),
        ({"kind": "guess"}, {"kind"}),
        ({"figure": ""}, {"figure"}),
        ({"figure": "participation_rate", "baseline_value": ""}, {"department_id"}),
        ({"figure": "sessions_held", "department_id": "{afd}"}, {"department_id"}),
        ({"department_id": "99999999999999"}, {"department_id"}),
        ({"baseline_value": "1e9"}, {"baseline_value"}),
        ({"baseline_value": "99999999999"}, {"baseline_value"}),
        ({"baseline_value": "", "baseline_of": "148"}, {"baseline_value"}),
        ({"baseline_of": "12"}, {"baseline_of"}),
        ({"figure": "no_show_rate"}, {"baseline_of"}),
        ({"baseline_year": "3000"}, {"baseline_year"}),
        ({"municipal_baseline": "4,5\x00%"}, {"municipal_baseline"}),
        ({"data_source": "x" * 301}, {"data_source"}),
        ({"direction": "up"}, {"direction"}),
    ],
)
def test_a_wrong_indicator_is_refused_field_by_field(any_app, manager, changes, fields):
    build_history()
    afd = str(_department("Afd. 11").id)
    typed = {"name": "Besøg", "kind": "computed", "figure": "visits", "baseline_value": "30",
             "baseline_year": "2025", "direction": "rise"}  # fmt: skip
    typed.update({key: value.replace("{afd}", afd) for key, value in changes.items()})

    with pytest.raises(HavehusError) as raised:
        register.create_indicator(db.session, IndicatorData(**typed), MADE_AT, manager)

    assert raised.value.fields.keys() == fields
    db.session.rollback()
    assert db.session.scalars(select(RegisterIndicator)).all() == []
