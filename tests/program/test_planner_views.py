"""The planner's pages: managers plan, hosts read the week, nothing is saved half-way."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from havehus.extensions import db
from havehus.models import Activity, AuditEvent, Closure, OutboundMessage, Session
from tests.program.conftest import NOW
from tests.program.planner_world import CPH, book, person
from tests.staff_fixtures import post_form, sign_in


def _session_on(activity: Activity, day: date) -> Session:
    return db.session.scalar(
        select(Session).where(
            Session.activity_id == activity.id,
            Session.starts_at >= datetime.combine(day, time(0), tzinfo=CPH),
            Session.starts_at < datetime.combine(day + timedelta(days=1), time(0), tzinfo=CPH),
        )
    )


def _new_activity_form(**overrides: str) -> dict[str, str]:
    data = {
        "title_da": "Sproghjælp",
        "title_en": "Language help",
        "slug": "sproghjaelp",
        "category": "language",
        "activity_type": "network",
        "location": "0",
        "room": "0",
        "mode": "drop_in",
        "offer_policy": "immediate",
        "offer_hold_hours": "12",
        "reminder_hours": "24, 3",
        "visibility": "public",
        "step_free": "y",
        "starts_on": "2026-03-04",
        "start_time": "14:00",
        "end_time": "16:00",
        "repeat": "weekly",
        "weekdays": "2",
        "month_week": "1",
        "end_kind": "never",
        "save": "1",
    }
    data.update(overrides)
    return data


def test_host_sees_the_week_but_cannot_edit(client, signed_in, walk):
    signed_in("host")
    page = client.get("/staff/week/2026-W11")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Gå-tur" in text
    assert "Ingen vært endnu" in text  # the session has no host
    assert client.get("/staff/activities/new").status_code == 403
    session = _session_on(walk, date(2026, 3, 10))
    assert client.get(f"/staff/sessions/{session.id}").status_code == 200
    assert client.get(f"/staff/sessions/{session.id}/cancel").status_code == 403


def test_partner_is_refused_the_planner(client, signed_in, walk):
    signed_in("partner")
    assert client.get("/staff/week/2026-W11").status_code == 403


def test_manager_creates_a_weekly_activity_with_sessions(client, signed_in, walk):
    signed_in("manager")
    response = post_form(client, "/staff/activities/new", **_new_activity_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalar(select(Activity).where(Activity.slug == "sproghjaelp"))
    assert created.rrule == "FREQ=WEEKLY;BYDAY=WE"
    starts = [s.starts_at.astimezone(CPH) for s in created.sessions]
    assert starts[0] == datetime(2026, 3, 4, 14, 0, tzinfo=CPH)
    assert all(s.weekday() == 2 and s.hour == 14 for s in starts)
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "activity.create")
    )


def test_preview_shows_the_dates_in_words_and_saves_nothing(client, signed_in, walk):
    signed_in("manager")
    form = _new_activity_form(preview="1")
    del form["save"]
    response = post_form(client, "/staff/activities/new", **form)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hver onsdag, 14:00–16:00" in text
    assert "onsdag den 11. marts 2026" in text
    assert db.session.scalar(select(Activity).where(Activity.slug == "sproghjaelp")) is None


def test_missing_danish_title_is_shown_next_to_the_field(client, signed_in, walk):
    signed_in("manager")
    response = post_form(client, "/staff/activities/new", **_new_activity_form(title_da=""))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="title_da-error"' in text
    assert "Den danske titel skal udfyldes." in text
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_slug_clash_is_refused_next_to_the_slug(client, signed_in, walk):
    signed_in("manager")
    response = post_form(client, "/staff/activities/new", **_new_activity_form(slug="gaa-tur"))
    assert response.status_code == 400
    assert 'id="slug-error"' in response.get_data(as_text=True)


def test_a_new_activity_without_a_web_name_gets_one_from_its_danish_title(client, signed_in, walk):
    signed_in("manager")
    form = _new_activity_form(slug="", title_da="Strik & snak på Ærø")
    response = post_form(client, "/staff/activities/new", **form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalar(select(Activity).where(Activity.id != walk.id))
    assert created.slug == "strik-snak-paa-aeroe"


def test_a_web_name_made_from_a_title_in_use_gets_a_number(client, signed_in, walk):
    signed_in("manager")
    form = _new_activity_form(slug="", title_da="Gå-tur")
    assert post_form(client, "/staff/activities/new", **form).status_code == 302
    created = db.session.scalar(select(Activity).where(Activity.id != walk.id))
    assert (walk.slug, created.slug) == ("gaa-tur", "gaa-tur-2")


def test_a_typed_web_name_must_still_be_small_letters_digits_and_hyphens(client, signed_in, walk):
    signed_in("manager")
    response = post_form(client, "/staff/activities/new", **_new_activity_form(slug="Sprog Hjælp"))
    assert response.status_code == 400
    assert 'id="slug-error"' in response.get_data(as_text=True)


def test_end_before_start_is_refused(client, signed_in, walk):
    signed_in("manager")
    response = post_form(
        client, "/staff/activities/new", **_new_activity_form(start_time="16:00", end_time="14:00")
    )
    assert response.status_code == 400
    assert 'id="end_time-error"' in response.get_data(as_text=True)


def test_second_save_on_an_old_version_is_refused(client, signed_in, walk):
    signed_in("manager")
    page = f"/staff/activities/{walk.id}"
    form = _new_activity_form(slug="gaa-tur", title_da="Gå-tur i parken", version="1")
    form.update(starts_on="2026-02-03", weekdays="1", start_time="10:00", end_time="12:00")
    assert post_form(client, page, **form).status_code == 302
    form["title_da"] = "Gå-tur ved søen"
    response = post_form(client, page, **form)  # still says version 1
    assert response.status_code == 409
    assert "Nogen har ændret aktiviteten" in response.get_data(as_text=True)
    db.session.refresh(walk)
    assert walk.title["da"] == "Gå-tur i parken"


def test_cancel_asks_for_confirmation_then_cancels_and_queues_notices(client, signed_in, walk):
    signed_in("manager")
    session = _session_on(walk, date(2026, 3, 10))
    book(session, person())
    db.session.commit()
    page = f"/staff/sessions/{session.id}/cancel"
    first = post_form(client, page, reason="Stormvarsel", scope="this")
    assert first.status_code == 200
    assert "Ja, aflys" in first.get_data(as_text=True)
    db.session.refresh(session)
    assert session.status == "scheduled"
    second = post_form(client, page, reason="Stormvarsel", scope="this", confirm="yes")
    assert second.status_code == 302
    db.session.refresh(session)
    assert (session.status, session.cancel_reason, session.sequence) == (
        "cancelled",
        "Stormvarsel",
        1,
    )
    notice = db.session.scalar(select(OutboundMessage))
    assert notice.kind == "change" and "Stormvarsel" in notice.body


def test_moving_a_session_bumps_its_sequence(client, signed_in, walk):
    signed_in("manager")
    session = _session_on(walk, date(2026, 3, 10))
    response = post_form(
        client,
        f"/staff/sessions/{session.id}",
        sequence="0",
        day="2026-03-11",
        start_time="13:00",
        end_time="15:00",
        room="0",
        scope="this",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(session)
    assert session.starts_at.astimezone(CPH) == datetime(2026, 3, 11, 13, tzinfo=CPH)
    assert session.sequence == 1


def test_a_session_that_never_changed_shows_no_version_number(client, signed_in, walk):
    signed_in("manager")
    session = _session_on(walk, date(2026, 3, 10))
    page = client.get(f"/staff/sessions/{session.id}").get_data(as_text=True)
    assert "Kalenderversion" not in page and "Sidst ændret" not in page


def test_a_moved_session_says_when_it_last_changed(client, signed_in, walk, clock):
    signed_in("manager")
    session = _session_on(walk, date(2026, 3, 10))
    clock.advance(timedelta(minutes=10))
    move = {"sequence": "0", "day": "2026-03-11", "start_time": "13:00", "end_time": "15:00"}
    post_form(client, f"/staff/sessions/{session.id}", room="0", scope="this", **move)
    page = client.get(f"/staff/sessions/{session.id}").get_data(as_text=True)
    assert re.search(r"<dt>Sidst ændret</dt><dd><time [^>]*>mandag den 2\. marts 2026 12:10", page)


def test_closure_shows_the_sessions_then_cancels_them(client, signed_in, walk):
    signed_in("manager")
    first = post_form(
        client,
        "/staff/closures",
        starts_on="2026-03-10",
        ends_on="2026-03-11",
        reason="Vandskade",
        location="0",
    )
    assert first.status_code == 200
    assert "1 gang bliver aflyst" in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0
    second = post_form(
        client,
        "/staff/closures",
        starts_on="2026-03-10",
        ends_on="2026-03-11",
        reason="Vandskade",
        location="0",
        confirm="yes",
    )
    assert second.status_code == 302
    session = _session_on(walk, date(2026, 3, 10))
    assert (session.status, session.cancel_reason) == ("cancelled", "Vandskade")


def test_the_closure_preview_refuses_what_saving_refuses(client, signed_in, walk):
    signed_in("manager")
    # Almost four months: longer than a closure may last.
    too_long = {
        "starts_on": "2026-03-10",
        "ends_on": "2026-06-30",
        "reason": "Ombygning",
        "location": "0",
    }
    saved = post_form(client, "/staff/closures", confirm="yes", **too_long)
    previewed = post_form(client, "/staff/closures", **too_long)
    assert saved.status_code == previewed.status_code == 400
    for page in (saved, previewed):
        assert "En lukning kan højst vare tre måneder." in page.get_data(as_text=True)
    assert "bliver aflyst" not in previewed.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_the_week_planner_shows_holidays_and_approximate_eid(client, signed_in, walk):
    signed_in("manager")
    text = client.get("/staff/week/2026-W12").get_data(as_text=True)
    assert "Eid al-Fitr" in text or "Eid al-fitr" in text.lower()
    assert "ca., ±1 dag" in text
    text = client.get("/staff/week/2026-W14").get_data(as_text=True)
    assert "Langfredag" in text


def test_copy_week_previews_then_copies_the_one_off_sessions(client, signed_in, walk):
    signed_in("manager")
    from havehus.people.audit import CLI
    from havehus.program.sessions import add_session

    add_session(db.session, walk, date(2026, 3, 12), time(18), time(19), None, NOW, CLI, tz=CPH)
    db.session.commit()
    page = "/staff/week/2026-W11/copy"
    preview = post_form(client, page, target="2026-W12")
    assert preview.status_code == 200
    assert "torsdag den 19. marts 2026 18:00" in preview.get_data(as_text=True)
    assert post_form(client, page, target="2026-W12", confirm="yes").status_code == 302
    copied = _session_on(walk, date(2026, 3, 19))
    assert copied.starts_at.astimezone(CPH).hour == 18


def test_a_host_put_on_a_shift_finds_it_under_my_shifts(app, client, signed_in, walk, make_user):
    host = make_user("host", name="Amal")
    signed_in("manager")
    session = _session_on(walk, date(2026, 3, 10))
    page = f"/staff/sessions/{session.id}"
    response = post_form(client, page, f"{page}/hosts", **{"rota-hosts": str(host.id)})
    assert response.status_code == 302
    db.session.refresh(session)
    assert [h.id for h in session.hosts] == [host.id]

    as_host = app.test_client()
    assert sign_in(as_host, host.email).status_code == 302
    mine = as_host.get("/staff/week/2026-W11?mine=y").get_data(as_text=True)
    assert mine.count('class="shift ') == 1 and "Vært: <bdi>Amal</bdi>" in mine


def test_the_pictogram_picker_names_each_pictogram_in_words(client, signed_in, walk):
    signed_in("manager")
    page = client.get("/staff/activities/new").get_data(as_text=True)
    options = re.findall(r'<label for="pictogram-\d+">(.*?)</label>', page)
    labels = [re.sub(r"<[^>]+>", "", option) for option in options]
    assert "Der er mad" in labels and "Kun for kvinder" in labels and "Have" in labels
    assert not {"food-served", "women-only", "house", "phone"} & set(labels)
