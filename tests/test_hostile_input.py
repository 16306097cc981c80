"""Hostile input gets a clear 4xx, never a server error: the rules each kind of input keeps.

- an id in an address is a number an integer column holds (havehus.input_guard's converter);
- ?page= past that range is the first page;
- days and weeks lie within the house's calendar (havehus.timeutil.FIRST_DAY…LAST_DAY);
- no control character in an address or a query, no NUL in a form (refused before any view);
- a form's fields by kind (havehus.webforms): one-line texts hold no control characters,
  numbers fit a column, dates lie in the calendar, and a JSON body is no form.

Each runs on SQLite and PostgreSQL: PostgreSQL refuses NUL in text and numbers past 2^31,
where SQLite stores them. tests/hostile/ sweeps every route with all of these.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

import havehus
from havehus.extensions import db
from havehus.models import Activity, Closure, FeedToken, Participant, StaffUser
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.program.services import expand_horizon
from havehus.timeutil import parse_day, parse_iso_week
from havehus.webforms import Form
from tests.conftest import DEFAULT_NOW
from tests.staff_fixtures import post_form, sign_in

CPH = ZoneInfo("Europe/Copenhagen")
TOO_BIG = str(2**31)  # one more than an integer column holds
CONTROL_MESSAGE = "Must not contain control characters."


@pytest.fixture
def dinner(any_app, make_location, make_activity) -> Activity:
    """A weekly sign-up activity with coming sessions, on both databases."""
    activity = make_activity(
        slug="sammen-om-maden",
        title={"da": "Sammen om maden"},
        mode="signup",
        capacity=12,
        location=make_location(),
        rrule="FREQ=WEEKLY;BYDAY=TH",
        starts_on=date(2026, 11, 5),
        start_time=time(17),
    )
    expand_horizon(db.session, 4, DEFAULT_NOW, CPH)
    db.session.commit()
    return activity


@pytest.fixture
def client(any_app):
    return any_app.test_client()


@pytest.fixture
def manager(client, make_user) -> StaffUser:
    user = make_user("manager")
    assert sign_in(client, user.email).status_code == 302
    return user


def _text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- ids and page numbers


@pytest.mark.parametrize(
    "path",
    [
        f"/sessions/{TOO_BIG}",
        f"/sessions/{2**63}.ics",
        f"/sessions/{10**30}/signup",
        f"/kiosk/sessions/{TOO_BIG}",
    ],
)
def test_an_id_no_integer_column_holds_is_no_such_page(client, dinner, path):
    assert client.get(path).status_code == 404


def test_the_largest_id_a_column_holds_still_reaches_the_view(any_app):
    urls = any_app.url_map.bind("havehus.test")
    assert urls.match("/sessions/2147483647") == ("program.session", {"session_id": 2147483647})
    with pytest.raises(NotFound):
        urls.match(f"/sessions/{TOO_BIG}")


def test_an_api_id_past_the_range_is_a_json_404(client, dinner):
    _token, raw = create_api_token(db.session, "Partner", "manager", DEFAULT_NOW, CLI)
    db.session.commit()
    response = client.delete(
        f"/api/v1/bookings/{TOO_BIG}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("page", [TOO_BIG, str(2**63), "1" + "0" * 30, "-5", "²"])
def test_a_page_number_no_list_can_have_shows_the_first_page(client, dinner, manager, page):
    assert client.get(f"/activities/{dinner.slug}?page={page}").status_code == 200
    assert client.get(f"/staff/activities?page={page}").status_code == 200
    assert client.get(f"/staff/messages?page={page}").status_code == 200


# ---------------------------------------------------------------- days and weeks


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1899-W52", "2200-W01"])
def test_a_week_outside_the_calendar_is_no_such_page(client, manager, week):
    assert client.get(f"/week/{week}").status_code == 404
    assert client.get(f"/staff/week/{week}").status_code == 404
    assert client.get(f"/staff/week/{week}/poster").status_code == 404


def test_the_calendar_runs_from_1900_to_2199():
    assert parse_iso_week("1900-W01") == date(1900, 1, 1)
    assert parse_iso_week("2199-W52") == date(2199, 12, 23)
    assert parse_day("2199-12-31") == date(2199, 12, 31)
    for outside in ("1899-12-31", "2200-01-01", "0001-01-01", "9999-12-31", "2026-1-1"):
        with pytest.raises(ValueError):
            parse_day(outside)


# ---------------------------------------------------------------- characters no one types


@pytest.mark.parametrize(
    "path",
    ["/activities/sammen%00om-maden", "/activities/a%0d%0ab.ics", "/calendar/food%0a.ics"],
)
def test_a_control_character_in_an_address_is_refused_with_a_message(client, dinner, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "kontroltegn" in _text(response)  # the page says what is wrong, in Danish


def test_a_control_character_in_an_api_address_is_the_apis_422(client, dinner):
    _token, raw = create_api_token(db.session, "Partner", "manager", DEFAULT_NOW, CLI)
    db.session.commit()
    response = client.get(
        "/api/v1/activities/sammen%00om-maden",
        headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"slug": CONTROL_MESSAGE}


def test_a_line_break_in_where_to_go_after_signing_in_is_refused(client, make_user):
    user = make_user("manager")
    response = client.get("/staff/login?next=/staff/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 400
    # Nothing was kept: signing in goes to the overview.
    assert sign_in(client, user.email).location == "/staff/"


def test_nul_in_a_sign_up_name_is_refused_before_the_database_sees_it(client, dinner):
    session = dinner.sessions[-1]
    response = post_form(
        client, f"/sessions/{session.id}/signup", name="Fat\x00ima", phone="20123456"
    )
    assert response.status_code == 400
    assert "kontroltegn" in _text(response)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0


def test_nul_in_the_sign_in_e_mail_is_refused(client, make_user):
    user = make_user("manager")
    response = post_form(client, "/staff/login", email=user.email + "\x00", password="x")
    assert response.status_code == 400


def test_a_json_body_is_no_form(client):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/staff/login", data=deep, content_type="application/json")
    assert response.status_code == 400


# ---------------------------------------------------------------- the forms' fields


def _form_classes() -> set[type]:
    for module in pkgutil.walk_packages(havehus.__path__, "havehus."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_form_of_the_app_derives_from_the_one_base():
    ours = {cls for cls in _form_classes() if cls.__module__.startswith("havehus.")}
    assert len(ours) > 20
    assert {cls.__qualname__ for cls in ours if not issubclass(cls, Form)} == set()


def _activity_form(activity: Activity, **changes: str) -> dict[str, str]:
    """The planner's edit form of `activity` as the page fills it in, with `changes`."""
    return {
        "version": str(activity.version),
        "title_da": "Sammen om maden",
        "slug": activity.slug,
        "category": "food",
        "activity_type": "network",
        "location": str(activity.location_id),
        "room": "0",
        "mode": "signup",
        "capacity": "12",
        "offer_policy": "immediate",
        "offer_hold_hours": "12",
        "reminder_hours": "24, 3",
        "visibility": "public",
        "starts_on": "2026-11-05",
        "start_time": "17:00",
        "end_time": "19:00",
        "repeat": "weekly",
        "weekdays": "3",
        "month_week": "1",
        "end_kind": "never",
        "save": "1",
        **changes,
    }


def test_the_activity_form_is_saved_as_it_is(client, manager, dinner):
    """The edit form below, unchanged but for a short text over two lines, is saved."""
    page = f"/staff/activities/{dinner.id}"
    summary = "Vi laver mad.\r\nOg spiser sammen."
    response = post_form(client, page, **_activity_form(dinner, summary_da=summary))
    assert response.status_code == 302, _text(response)
    db.session.refresh(dinner)
    assert dinner.summary == {"da": "Vi laver mad.\r\nOg spiser sammen."}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title_da": "Sammen\rom maden"}, CONTROL_MESSAGE),
        ({"title_da": "Sammen\r\nBEGIN:VEVENT"}, CONTROL_MESSAGE),
        ({"title_en": "Cooking\ttogether"}, CONTROL_MESSAGE),
        ({"price_text_da": "20 kr\x1b"}, CONTROL_MESSAGE),
        ({"summary_da": "Kom\x07 forbi"}, CONTROL_MESSAGE),
        ({"capacity": TOO_BIG}, "Number must be between 0 and 10000."),
        ({"offer_hold_hours": str(2**63)}, "Number must be between 0 and 168."),
        ({"count": TOO_BIG, "end_kind": "count"}, "Use a number up to 2147483647."),
        ({"location": TOO_BIG}, "Invalid Choice: could not coerce."),
        ({"reminder_hours": "inf"}, "Up to five reminders, each at most 14 days before."),
        ({"reminder_hours": "24, nan"}, "Up to five reminders, each at most 14 days before."),
        ({"starts_on": "9999-12-31"}, "Choose a day between"),
    ],
)
def test_the_activity_form_refuses_what_no_field_may_hold(client, manager, dinner, change, message):
    client.get("/staff/activities?lang=en")  # the messages in English, as they are written
    before = (dinner.version, dict(dinner.title), dinner.capacity)
    page = f"/staff/activities/{dinner.id}"
    response = post_form(client, page, **_activity_form(dinner, **change))
    assert response.status_code == 400
    assert message in _text(response).replace("&#39;", "'")
    db.session.refresh(dinner)
    assert (dinner.version, dinner.title, dinner.capacity) == before


@pytest.mark.parametrize(
    ("page", "fields"),
    [
        ("/staff/closures", {"starts_on": "2026-12-24", "ends_on": "2026-12-26",
                             "reason": "Jul\r\nX-INJECTED:1"}),
        ("/staff/closures", {"starts_on": "2026-12-24", "ends_on": "9999-12-31",
                             "reason": "Jul"}),
        ("/staff/feeds", {"name": "Kommunen\r\nX-INJECTED:1", "language": "da"}),
        ("/staff/tokens", {"name": "Kalender\x00", "role": "partner"}),
        ("/staff/devices", {"name": "Tablet\u0085i hallen"}),
    ],
)  # fmt: skip
def test_names_and_reasons_that_reach_feeds_and_pages_are_one_clean_line(
    client, manager, page, fields
):
    response = post_form(client, page, **fields)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_a_staff_users_name_is_one_clean_line(client, make_user):
    admin = make_user("admin")
    sign_in(client, admin.email)
    response = post_form(
        client, "/staff/users/new", email="ny@havehus.example", name="Ny\rX", role="host"
    )
    assert response.status_code == 400
    assert (
        db.session.scalar(select(StaffUser).where(StaffUser.email == "ny@havehus.example")) is None
    )


@pytest.mark.parametrize("field", ["companion", "participant_id"])
def test_a_staff_sign_up_with_an_id_past_the_range_is_refused(client, manager, dinner, field):
    session = dinner.sessions[-1]
    page = f"/staff/sessions/{session.id}/bookings"
    data = {"name": "Fatima", "language": "da", "channel": "other", field: TOO_BIG}
    response = post_form(client, page, **data)
    assert response.status_code == 400
    db.session.refresh(session)
    assert session.seats_taken == 0
