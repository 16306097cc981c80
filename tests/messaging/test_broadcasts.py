"""Broadcasts: preview, then confirm; the right people; consent; never twice."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.messaging import broadcasts, guards
from havehus.models import (
    Activity,
    AuditEvent,
    Booking,
    Broadcast,
    Consent,
    OptOut,
    OutboundMessage,
    Participant,
    Session,
)
from havehus.people.audit import Actor
from tests.factories import add_booking, add_participant, number_key, sms_limits
from tests.staff_fixtures import csrf_from

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TEXT = "Husk regntøj i morgen: vi laver mad i haven."


@pytest.fixture
def clock_start():
    return NOW


def make_session(slug: str = "sammen-om-maden", days: int = 1) -> Session:
    activity = db.session.scalar(select(Activity).where(Activity.slug == slug))
    if activity is None:
        activity = Activity(
            slug=slug, title={"da": "Sammen om maden", "en": "Cooking together"},
            category="food", mode="signup", capacity=10, starts_on=date(2026, 12, 1),
            start_time=time(17), duration_minutes=120, created_at=NOW, updated_at=NOW,
        )  # fmt: skip
    starts = NOW + timedelta(days=days)
    session = Session(
        activity=activity, uid=f"{slug}-{days}@havehus", starts_at=starts,
        ends_at=starts + timedelta(hours=2), created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    db.session.add_all([activity, session])
    db.session.commit()
    return session


def person(
    *, consents: tuple[str, ...] = ("sms",), phone: str | None = "auto", language: str = "da"
) -> Participant:
    someone = add_participant(at=NOW, phone=phone, language=language, consents=consents)
    db.session.commit()
    return someone


def book(session: Session, someone: Participant, status: str = "confirmed") -> Booking:
    booking = add_booking(session, someone, status, at=NOW)
    db.session.commit()
    return booking


def limits() -> guards.Limits:
    return sms_limits()


def post(client, path: str, **data: str):
    token = csrf_from(client, path)
    return client.post(path, data={"csrf_token": token, **data})


def hidden_fields(page: str) -> dict[str, str]:
    """The confirmation form's fields, as the browser would send them back."""
    confirm = page[page.index('id="preview-heading"') :]
    fields = {}
    for tag in re.findall(r"<input [^>]*>", confirm):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if 'type="hidden"' in tag and name and value:
            fields[name.group(1)] = html.unescape(value.group(1))
    return fields


# ---------------------------------------------------------------- who gets it


def test_a_practical_notice_goes_to_booked_people_with_sms_consent(any_app):
    session = make_session()
    other_session = make_session(days=8)
    confirmed, waitlisted, offered = person(), person(), person()
    book(session, confirmed)
    book(session, waitlisted, "waitlisted")
    book(session, offered, "offered")
    book(session, person(), "cancelled")
    book(other_session, person())  # another time
    book(session, person(consents=()))  # no consent
    book(session, person(phone=None))  # no number
    stopped = person()
    book(session, stopped)
    db.session.add(OptOut(phone_hash=number_key(stopped.phone), opted_out_at=NOW, source="sms"))
    unreachable = person()
    unreachable.phone_unreachable = True
    book(session, unreachable)
    book(session, person(phone="+46701234567"))  # not an allowed country
    db.session.commit()
    group = broadcasts.audience(
        db.session, broadcasts.Target(session.activity, session), "practical", ["da"], NOW,
        limits(),
        current_settings(),
    )  # fmt: skip
    got = {r.participant.id for r in group.recipients}
    assert got == {confirmed.id, waitlisted.id, offered.id}
    assert group.excluded == 5


def test_an_activity_broadcast_reaches_everyone_on_its_coming_times(any_app):
    first, second = make_session(days=1), make_session(days=8)
    past = make_session(days=-3)
    a, b, c = person(), person(), person()
    book(first, a)
    book(second, b)
    book(past, c)
    group = broadcasts.audience(
        db.session,
        broadcasts.Target(first.activity),
        "practical",
        ["da"],
        NOW,
        limits(),
        current_settings(),
    )
    assert {r.participant.id for r in group.recipients} == {a.id, b.id}


def test_news_goes_only_to_people_with_marketing_consent(any_app):
    session = make_session()
    booked_without = person()
    book(session, booked_without)
    keen = person(consents=("marketing",))
    keen_and_booked = person(consents=("sms", "marketing"))
    book(session, keen_and_booked)
    withdrawn = person(consents=("marketing",))
    db.session.execute(
        Consent.__table__.update()
        .where(Consent.participant_id == withdrawn.id)
        .values(withdrawn_at=NOW)
    )
    stopped = person(consents=("marketing",))
    db.session.add(OptOut(phone_hash=number_key(stopped.phone), opted_out_at=NOW, source="sms"))
    db.session.commit()
    group = broadcasts.audience(
        db.session, broadcasts.Target(session.activity, session), "marketing", ["da"], NOW,
        limits(),
        current_settings(),
    )  # fmt: skip
    assert {r.participant.id for r in group.recipients} == {keen.id, keen_and_booked.id}
    assert group.excluded == 1  # the one who said stop


def test_people_get_their_own_language_or_danish(any_app):
    session = make_session()
    english, somali, danish = person(language="en"), person(language="so"), person()
    for someone in (english, somali, danish):
        book(session, someone)
    cleaned = broadcasts.clean_texts({"da": "Hej", "en": "Hi", "so": "  "}, ["da", "en", "so"])
    assert cleaned == {"da": "Hej", "en": "Hi"}
    target = broadcasts.Target(session.activity, session)
    broadcast, created = broadcasts.send(
        db.session, target, "practical", cleaned, broadcasts.new_key(), NOW, Actor("cli"),
        limits(),
        current_settings(),
    )  # fmt: skip
    db.session.commit()
    assert created
    bodies = dict(
        db.session.execute(select(OutboundMessage.participant_id, OutboundMessage.body)).all()
    )
    assert bodies == {english.id: "Hi", somali.id: "Hej", danish.id: "Hej"}


# ---------------------------------------------------------------- the pages


def test_preview_then_confirm_puts_rows_in_the_outbox(app, client, signed_in):
    user = signed_in("manager")
    session = make_session()
    people = [person(), person(language="en"), person()]
    for someone in people:
        book(session, someone)
    book(session, person(consents=()))
    page_path = f"/staff/broadcasts/new?session={session.id}"
    assert client.get(page_path).status_code == 200
    response = post(
        client, page_path, purpose="practical", text_da=TEXT, text_en="Bring rain gear."
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0  # nothing sent yet
    assert "3 personer får denne sms." in page
    assert "1 person kan ikke få sms" in page
    assert "I alt: 3 dele, cirka 1.05 kr." in page
    fields = hidden_fields(page)
    assert fields["confirm"] == "yes" and re.fullmatch(r"[0-9a-f]{32}", fields["key"])
    response = client.post(page_path, data=fields)
    assert response.status_code == 302 and response.location.endswith("/staff/broadcasts")
    db.session.expire_all()
    broadcast = db.session.scalar(select(Broadcast))
    assert broadcast.purpose == "practical" and broadcast.session_id == session.id
    assert broadcast.recipients == 3 and broadcast.segments == 3
    assert broadcast.created_by_id == user.id
    assert broadcast.texts == {"da": TEXT, "en": "Bring rain gear."}
    messages = db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert {m.participant_id for m in messages} == {p.id for p in people}
    assert all(m.kind == "broadcast" and m.broadcast_id == broadcast.id for m in messages)
    assert all(m.created_by_id == user.id and m.status == "pending" for m in messages)
    assert all(m.expires_at == session.ends_at for m in messages)
    assert {m.body for m in messages} == {TEXT, "Bring rain gear."}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "broadcast.send"))
    assert event.actor_user_id == user.id and event.target_id == str(broadcast.id)
    assert event.details["recipients"] == 3 and event.details["excluded"] == 1
    listing = client.get("/staff/broadcasts").get_data(as_text=True)
    assert TEXT in listing and "Manager" in listing and "Praktisk" in listing


def test_submitting_the_confirmation_twice_sends_once(app, client, signed_in):
    signed_in("manager")
    session = make_session()
    for _ in range(3):
        book(session, person())
    page_path = f"/staff/broadcasts/new?session={session.id}"
    page = post(client, page_path, purpose="practical", text_da=TEXT).get_data(as_text=True)
    fields = hidden_fields(page)
    assert client.post(page_path, data=fields).status_code == 302
    again = client.post(page_path, data=fields, follow_redirects=True)
    assert "allerede sendt" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Broadcast.id))) == 1
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 3
    # A fresh preview gives a fresh key: that is a new broadcast on purpose.
    page = post(client, page_path, purpose="practical", text_da=TEXT).get_data(as_text=True)
    assert client.post(page_path, data=hidden_fields(page)).status_code == 302
    assert db.session.scalar(select(func.count(Broadcast.id))) == 2


def test_two_confirmations_at_the_same_moment_send_once(any_app):
    session = make_session()
    for _ in range(4):
        book(session, person())
    target_ids = (session.activity_id, session.id)
    key = broadcasts.new_key()
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def confirm() -> None:
        try:
            # Both start together; on SQLite the first write transaction then holds the
            # other back, on PostgreSQL they truly overlap.
            barrier.wait(timeout=30)
            with any_app.app_context():
                activity = db.session.get(Activity, target_ids[0])
                target = broadcasts.Target(activity, db.session.get(Session, target_ids[1]))
                _broadcast, created = broadcasts.send(
                    db.session, target, "practical", {"da": TEXT}, key, NOW, Actor("cli"),
                    sms_limits(),
                    current_settings(),
                )  # fmt: skip
                db.session.commit()
                outcomes.append(created)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    db.session.commit()
    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Broadcast.id))) == 1
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 4


def test_a_marketing_broadcast_from_the_page_reaches_only_consenting_people(app, client, signed_in):
    signed_in("manager")
    session = make_session()
    book(session, person())  # booked, but no news consent
    keen = person(consents=("marketing",))
    page_path = f"/staff/broadcasts/new?activity={session.activity.slug}"
    page = post(client, page_path, purpose="marketing", text_da="Nyt: strikkecafé om torsdagen!")
    fields = hidden_fields(page.get_data(as_text=True))
    assert client.post(page_path, data=fields).status_code == 302
    (message,) = db.session.scalars(select(OutboundMessage)).all()
    assert message.participant_id == keen.id and message.session_id is None
    broadcast = db.session.scalar(select(Broadcast))
    assert broadcast.purpose == "marketing" and broadcast.activity_id == session.activity_id


def test_danish_is_required_and_bad_input_is_explained(app, client, signed_in):
    signed_in("manager")
    session = make_session()
    book(session, person())
    page_path = f"/staff/broadcasts/new?session={session.id}"
    response = post(client, page_path, purpose="practical", text_da="  ", text_en="Hi")
    assert response.status_code == 400
    assert "Skriv teksten på dansk" in response.get_data(as_text=True)
    response = post(client, page_path, purpose="practical", text_da="x" * 481)
    assert response.status_code == 400
    assert "Brug højst 480 tegn." in response.get_data(as_text=True)
    response = post(client, page_path, purpose="practical", text_da=TEXT, confirm="yes",
                    key="not-a-key")  # fmt: skip
    assert response.status_code == 400
    assert "Start venligst forfra" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0
    assert client.get("/staff/broadcasts/new?session=999999").status_code == 404
    assert client.get("/staff/broadcasts/new").status_code == 404


def test_nobody_to_text_is_said_plainly(app, client, signed_in):
    signed_in("manager")
    session = make_session()
    book(session, person(consents=()))
    page_path = f"/staff/broadcasts/new?session={session.id}"
    page = post(client, page_path, purpose="practical", text_da=TEXT).get_data(as_text=True)
    assert "0 personer får denne sms." in page and "Send til" not in page
    response = post(client, page_path, purpose="practical", text_da=TEXT, confirm="yes",
                    key=broadcasts.new_key())  # fmt: skip
    assert response.status_code == 400
    assert "Ingen i denne gruppe kan få sms." in response.get_data(as_text=True)


def test_the_preview_warns_when_the_budget_would_run_out(app, client, signed_in):
    change_settings(app, sms_monthly_segments=2)
    signed_in("manager")
    session = make_session()
    for _ in range(3):
        book(session, person())
    page_path = f"/staff/broadcasts/new?session={session.id}"
    page = post(client, page_path, purpose="practical", text_da=TEXT).get_data(as_text=True)
    assert "over sms-budgettet" in page


@pytest.mark.parametrize("role", ["host", "partner"])
def test_only_managers_broadcast(client, signed_in, role):
    signed_in(role)
    session = make_session()
    assert client.get(f"/staff/broadcasts/new?session={session.id}").status_code == 403
    assert client.get("/staff/broadcasts").status_code == 403
