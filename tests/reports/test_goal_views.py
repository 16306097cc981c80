"""The targets, register and frozen-years pages as a manager uses them (real forms, real
CSRF tokens), and what bad input gets: a message on the field, never a 5xx."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AuditEvent, RegisterIndicator, RegisterValue, Target, YearSnapshot
from tests.reports.history import MADE_AT, build_history
from tests.staff_fixtures import post_form, submit_page_form


@pytest.fixture
def clock_start():
    return MADE_AT


@pytest.fixture
def manager_client(client, signed_in):
    signed_in("manager")
    return client


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_manager_sets_a_target_sees_progress_edits_and_deletes_it(app, manager_client):
    build_history()
    client = manager_client
    page = "/staff/reports/targets?year=2026&lang=en"
    response = submit_page_form(
        client, page, "amount", year="2026", measure="sessions_held", amount="6",
        sub_goal="Delmål 2: fællesskaber", activity_type="",
    )  # fmt: skip
    assert response.status_code == 302
    shown = _text(client.get(page))
    # Twelve sessions held in the quarter and one dinner and one garden morning in April.
    assert "Delmål 2: fællesskaber" in shown and "Reached" in shown
    assert '<progress max="100" value="100"' in shown
    target = db.session.scalar(select(Target))
    assert target is not None

    edit = f"/staff/reports/targets/{target.id}?lang=en"
    assert submit_page_form(client, edit, "amount", amount="20").status_code == 302
    assert "Not reached yet" in _text(client.get(page))

    confirm = f"/staff/reports/targets/{target.id}/delete?lang=en"
    assert "Delete the target?" in _text(client.get(confirm))
    assert db.session.get(Target, target.id) is not None  # asking deletes nothing
    assert submit_page_form(client, confirm, "Yes, delete").status_code == 302
    assert db.session.scalars(select(Target)).all() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "9" * 400}, "Give a number of at most 10,000,000."),
        ({"year": "20261"}, "Give a year as four digits, e.g. 2026."),
        ({"year": "2999"}, "Give a year from 2000 to 2100."),
        # NUL is refused for the whole request before any form sees it (havehus/input_guard.py).
        ({"sub_goal": "Del\x00mål"}, "a character that is not allowed here"),
        ({"sub_goal": "Del\r\nmål"}, "Must not contain control characters."),
        ({"activity_id": "99999999999999999999999"}, "Choose one of the options."),
        ({"measure": "\x00"}, "a character that is not allowed here"),
    ],
)
def test_bad_target_input_is_answered_on_its_field(app, manager_client, changes, message):
    typed = {"year": "2026", "measure": "visits", "amount": "10", **changes}
    response = submit_page_form(manager_client, "/staff/reports/targets?lang=en", "amount", **typed)

    assert response.status_code == 400
    assert message in _text(response)
    if "not allowed here" not in message:  # the request-wide refusal has no form to mark
        assert 'aria-invalid="true"' in _text(response)
    assert db.session.scalars(select(Target)).all() == []


def test_messages_are_danish_on_a_danish_page(app, manager_client):
    response = submit_page_form(
        manager_client, "/staff/reports/targets?lang=da", "amount", year="3000", amount="x"
    )
    assert response.status_code == 400
    assert "Angiv et år fra 2000 til 2100." in _text(response)
    assert "Angiv et helt tal på 0 eller mere, f.eks. 30." in _text(response)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/reports/targets/99999999999999999999",
        "/staff/reports/targets/99999999999999999999/delete",
        "/staff/reports/register/99999999999999999999",
        "/staff/reports/register/99999999999999999999/values",
        "/staff/reports/years/99999999999999999999/unfreeze",
        "/staff/reports/years/1850/unfreeze",
    ],
)
def test_huge_numbers_in_addresses_are_not_found(app, manager_client, path):
    assert manager_client.get(path).status_code == 404


PAGES = ("/staff/reports/targets", "/staff/reports/register/follow-up", "/staff/reports/years")


@pytest.mark.parametrize(
    ("query", "wrong"),
    [
        ("year=99999999999999999999", True),
        ("year=%00", None),
        ("from=abc&to=2026", True),
        ("from=2030&to=2020", True),
        ("from=2000&to=2100", True),
        ("years=2025%00", None),
        ("years=1,2,3,4,5,6,7,8", True),
        ("year=2026%0D%0A&from=%0D%0A2024&years=2025%0D%0A2026", None),
    ],
)
def test_bad_years_in_the_query_get_a_message_not_an_error(app, manager_client, query, wrong):
    answers = [manager_client.get(f"{page}?{query}&lang=en") for page in PAGES]

    if wrong is None:  # a control character: refused for the whole request, with a message
        assert [response.status_code for response in answers] == [400, 400, 400]
        assert all("not allowed here" in _text(response) for response in answers)
        return
    assert [response.status_code for response in answers] == [200, 200, 200]
    assert any('class="field__error"' in _text(response) for response in answers) is wrong


def test_the_register_and_its_follow_up(app, manager_client):
    build_history()
    client = manager_client
    response = submit_page_form(
        client, "/staff/reports/register?lang=en", "baseline_value", sub_goal="Delmål 1",
        name="Meget tilfredse/tilfredse", kind="external", figure="", baseline_value="100",
        baseline_of="148", baseline_year="2023", municipal_baseline="72 %",
        data_source="Beboerundersøgelse", direction="rise",
    )  # fmt: skip
    assert response.status_code == 302
    survey = db.session.scalar(select(RegisterIndicator))
    assert survey is not None
    values = f"/staff/reports/register/{survey.id}/values?lang=en"
    response = submit_page_form(client, values, "source", year="2025", value="115", of="148",
                                source="Survey 2025")  # fmt: skip
    assert response.status_code == 302
    response = submit_page_form(client, values, "source", year="2025", value="11x5")
    assert response.status_code == 400 and "Give a number" in _text(response)

    page = _text(client.get("/staff/reports/register/follow-up?from=2024&to=2026&lang=en"))
    assert "Meget tilfredse/tilfredse" in page
    assert "115 of 148 (77.7 %)" in page and "as wanted" in page

    dansk = _text(client.get("/staff/reports/register/follow-up?from=2024&to=2026&lang=da"))
    assert "115 af 148 (77,7 %)" in dansk

    remove = f"/staff/reports/register/{survey.id}/values/2025/remove"
    assert post_form(client, values, remove).status_code == 302
    assert db.session.scalars(select(RegisterValue)).all() == []


def test_freeze_compare_and_unfreeze_with_confirmation(app, manager_client):
    build_history()
    client = manager_client
    assert (
        submit_page_form(client, "/staff/reports/years?lang=en", "Freeze", year="2025").status_code
        == 302
    )
    assert db.session.scalar(select(YearSnapshot.year)) == 2025

    page = _text(client.get("/staff/reports/years?years=2025,2026&lang=en"))
    assert "frozen" in page and "live" in page

    refused = submit_page_form(client, "/staff/reports/years?lang=en", "Freeze", year="2026")
    assert refused.status_code == 400
    assert "A year can be frozen once it is over." in _text(refused)

    confirm = "/staff/reports/years/2025/unfreeze?lang=en"
    assert "Unfreeze 2025?" in _text(client.get(confirm))
    assert db.session.scalar(select(YearSnapshot.year)) == 2025
    assert submit_page_form(client, confirm, "Yes, unfreeze").status_code == 302
    assert db.session.scalars(select(YearSnapshot)).all() == []
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"report.year_frozen", "report.year_unfrozen"} <= set(actions)


def test_hosts_and_partners_get_nothing_here(app, client, signed_in):
    signed_in("host")
    for page in ("/staff/reports/targets", "/staff/reports/register", "/staff/reports/years"):
        assert client.get(page).status_code == 403
