"""Frozen years (havehus/reports/snapshots.py): a frozen year keeps its reported figures
while the records change; unfreezing is confirmed and audited; years compare side by side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import AuditEvent, Participant, Session, Visit, YearSnapshot
from havehus.people.audit import Actor
from havehus.reports import goals, snapshots
from havehus.reports.goals import TargetData
from tests.reports.history import CPH, MADE_AT, build_history


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def manager(make_user) -> Actor:
    return Actor("user", make_user("manager").id, role="manager")


def _late_visit() -> None:
    """A paper list found in January: one more person came to the December garden morning."""
    garden = db.session.scalar(
        select(Session).where(Session.uid.contains("havefaellesskabet-2025"))
    )
    person = db.session.scalar(select(Participant).where(Participant.public_id == "history-01"))
    assert garden is not None and person is not None
    db.session.add(Visit(session=garden, participant=person, source="host", at=garden.starts_at))
    db.session.commit()


def test_a_frozen_year_keeps_its_figures_when_the_records_change(any_app, manager):
    build_history()
    target = goals.create_target(
        db.session, TargetData(year="2025", measure="visits", amount="5"), MADE_AT, manager
    )
    snapshot = snapshots.freeze_year(db.session, "2025", CPH, MADE_AT, manager, frozen_by="Mette")
    db.session.commit()
    frozen_total = dict(snapshot.data["total"])
    assert (frozen_total["visits"], frozen_total["unique_participants"]) == (6, 4)
    assert [row["group"] for row in snapshot.data["by_category"]] == ["food", "garden"]
    assert snapshot.data["targets"] == {str(target.id): 6}

    _late_visit()

    assert snapshots.year_data(db.session, 2025, CPH, MADE_AT)["total"]["visits"] == 7
    before, after = snapshots.compare(db.session, [2026, 2025], CPH, MADE_AT)
    assert (before.year, before.snapshot is not None, before.data["total"]) == (
        2025,
        True,
        frozen_total,
    )
    assert (after.year, after.snapshot, after.data["total"]["visits"]) == (2026, None, 84)
    (progress,) = goals.progress(db.session, 2025, CPH, MADE_AT)
    assert (progress.actual, progress.frozen) == (6, True)


def test_unfreezing_makes_the_year_live_again_and_is_audited(any_app, manager):
    build_history()
    snapshot = snapshots.freeze_year(db.session, "2025", CPH, MADE_AT, manager, frozen_by="Mette")
    db.session.commit()
    _late_visit()

    later = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    snapshots.unfreeze_year(db.session, snapshot, later, manager)
    db.session.commit()

    assert db.session.scalars(select(YearSnapshot)).all() == []
    (column,) = snapshots.compare(db.session, [2025], CPH, later)
    assert (column.snapshot, column.data["total"]["visits"]) == (None, 7)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.year_unfrozen"))
    assert event is not None
    assert (event.actor_user_id, event.at, event.details["year"]) == (manager.user_id, later, 2025)
    assert (event.details["frozen_by"], event.details["total"]["visits"]) == ("Mette", 6)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026", "A year can be frozen once it is over."),
        ("2031", "A year can be frozen once it is over."),
        ("1066", "Give a year from 2000 to 2100."),
        ("99999999999999999999", "Give a year as four digits, e.g. 2026."),
        ("2025\x00", "Give a year as four digits, e.g. 2026."),
        ("", "Please give a year."),
    ],
)
def test_a_year_that_cannot_be_frozen_gets_a_message(any_app, manager, typed, message):
    with any_app.test_request_context("/staff/reports/years?lang=en"):
        with pytest.raises(HavehusError) as raised:
            snapshots.freeze_year(db.session, typed, CPH, MADE_AT, manager, frozen_by="Mette")
    assert raised.value.fields == {"year": message}


def test_a_year_is_frozen_once(any_app, manager):
    snapshots.freeze_year(db.session, "2024", CPH, MADE_AT, manager, frozen_by="Mette")
    db.session.commit()
    with pytest.raises(HavehusError) as raised:
        snapshots.freeze_year(db.session, "2024", CPH, MADE_AT, manager, frozen_by="Mette")
    assert raised.value.fields.keys() == {"year"}
    db.session.rollback()
    assert len(db.session.scalars(select(YearSnapshot)).all()) == 1


def test_only_managers_freeze_and_unfreeze(any_app, manager):
    host = Actor("user", None, role="host")
    with pytest.raises(HavehusError):
        snapshots.freeze_year(db.session, "2024", CPH, MADE_AT, host, frozen_by="Hodan")
    snapshot = snapshots.freeze_year(db.session, "2024", CPH, MADE_AT, manager, frozen_by="Mette")
    with pytest.raises(HavehusError):
        snapshots.unfreeze_year(db.session, snapshot, MADE_AT, host)


@pytest.mark.parametrize(
    ("typed", "years", "wrong"),
    [
        (["2024, 2025"], [2024, 2025], False),
        (["2023", "2021 2022"], [2021, 2022, 2023], False),
        ([], [2024, 2025, 2026], False),
        (["2020,2021,2022,2023,2024,2025,2026"], [2024, 2025, 2026], True),
        (["9999999999999"], [2024, 2025, 2026], True),
        (["2025\r\n2026"], [2025, 2026], False),
        (["abc"], [2024, 2025, 2026], True),
    ],
)
def test_the_years_to_compare_are_checked(app, typed, years, wrong):
    with app.test_request_context("/staff/reports/years"):
        chosen, problems = snapshots.read_years(typed, MADE_AT, CPH)
    assert (chosen, bool(problems)) == (years, wrong)
