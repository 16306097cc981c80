"""The public program: the week, one activity, one session, in Danish and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from havehus.extensions import db
from havehus.models import Session
from havehus.program.services import expand_horizon
from tests.factories import add_booking, add_participant
from tests.program_fixtures import CPH
from tests.program_fixtures import NOW as PROGRAM_NOW


def _fill(session: Session, seats: int) -> None:
    """Book `seats` people into the session."""
    for _ in range(seats):
        add_booking(session, add_participant(at=PROGRAM_NOW), at=PROGRAM_NOW)
    db.session.commit()


def _session_on(program_sessions: list[Session], day: str) -> Session:
    return next(s for s in program_sessions if s.starts_at.date().isoformat() == day)


def test_home_shows_today_and_the_next_six_days_in_danish(client, program):
    page = client.get("/").get_data(as_text=True)  # Wednesday 2 December

    assert '<html lang="da" dir="ltr">' in page
    assert "I dag og de næste 6 dage" in page
    assert "onsdag 2. december" in page and "tirsdag 8. december" in page
    assert "tirsdag 1. december" not in page and "onsdag 9. december" not in page
    assert "Sammen om maden" in page and "Havefællesskabet" in page  # Thursday, next Tuesday
    assert "Kræver tilmelding" in page and "20 pladser tilbage" in page
    assert "Bare kom – ingen tilmelding" in page
    days = re.findall(r'<li class="(day[^"]*)">', page)
    assert days == ["day day--today"] + ["day"] * 6


def test_on_a_sunday_evening_the_home_page_shows_the_coming_week(client, program, clock):
    clock.set(datetime(2026, 12, 6, 20, 0, tzinfo=UTC))  # Sunday 21:00 in Copenhagen
    page = client.get("/").get_data(as_text=True)
    assert "søndag 6. december" in page and "lørdag 12. december" in page
    assert "Havefællesskabet" in page  # Tuesday 8 December, in the coming week
    assert 'href="/week/2026-W49">Denne uge</a>' in page
    assert 'href="/week/2026-W50" rel="next"' in page


def test_after_midnight_utc_the_home_page_is_already_on_the_copenhagen_day(client, program, clock):
    clock.set(datetime(2026, 12, 2, 23, 30, tzinfo=UTC))  # 00:30 on Thursday in Copenhagen
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<h2 id="day-2026-12-03">torsdag 3. december <span class="badge">', page)
    assert "onsdag 2. december" not in page


def test_past_days_of_a_week_are_dimmed_and_today_is_marked(client, program):
    page = client.get("/week/2026-W49").get_data(as_text=True)
    days = re.findall(r'<li class="(day[^"]*)">', page)
    assert days == ["day day--past", "day day--past", "day day--today"] + ["day"] * 4
    assert "I dag" in page


def test_each_session_shows_time_place_pictogram_and_attributes(client, program):
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert '<time datetime="2026-12-03T17:00+01:00">17:00</time>' in page
    assert "<bdi>Havehuset</bdi>, <bdi>Køkkenet</bdi>" in page
    assert 'src="/static/pictograms/food.svg" alt="Mad"' in page
    assert "Der er mad" in page and "Børnepasning" in page
    assert "Vi taler: dansk og arabisk" in page


def test_staff_only_activities_are_not_public(client, program):
    assert "Havehusmøde" not in client.get("/week/2026-W49").get_data(as_text=True)
    assert client.get("/activities/havehusmoede").status_code == 404
    meeting = program.sessions(program.meeting)[0]
    assert client.get(f"/sessions/{meeting.id}").status_code == 404


def test_sensitive_activities_are_public_by_name(client, program):
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert "Pop-up vaccination" in page


def test_any_week_has_previous_and_next_links(client, program):
    page = client.get("/week/2026-W53").get_data(as_text=True)
    assert "Uge 53" in page
    assert 'href="/week/2026-W52" rel="prev"' in page
    assert 'href="/week/2027-W01" rel="next"' in page
    assert 'href="/week/2026-W49">Denne uge</a>' in page


def test_week_numbers_are_normalised_and_nonsense_is_not_found(client, program):
    response = client.get("/week/2026-W1")
    assert response.status_code == 404  # not YYYY-Www
    assert client.get("/week/2025-W53").status_code == 404  # 2025 has 52 weeks
    assert client.get("/week/next").status_code == 404


def test_english_with_lang_parameter_is_remembered_in_a_cookie(client, program):
    response = client.get("/week/2026-W49?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Week 49" in page and "Cooking together" in page
    assert "Monday 30 November" in page
    assert "lang=en" in response.headers["Set-Cookie"]

    again = client.get("/week/2026-W49").get_data(as_text=True)
    assert "Cooking together" in again


def test_accept_language_is_used_when_nothing_was_chosen(client, program):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Today and the next 6 days" in page
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "I dag og de næste 6 dage" in page


def test_an_unsupported_language_falls_back_to_danish(client, program):
    response = client.get("/?lang=xx")
    assert "I dag og de næste 6 dage" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_language_switch_links_keep_the_page(client, program):
    page = client.get("/week/2026-W50").get_data(as_text=True)
    assert 'href="/week/2026-W50?lang=en"' in page
    assert 'aria-current="true">Dansk</a>' in page


def test_a_cancelled_session_is_shown_struck_with_its_reason(client, program):
    walk = _session_on(program.sessions(program.garden), "2026-12-01")
    walk.status = "cancelled"
    walk.cancel_reason = "Storm"
    db.session.commit()
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert "card--cancelled" in page
    assert "Aflyst</strong> – <bdi>Storm</bdi>" in page


def test_a_danish_cancellation_reason_in_an_arabic_page_is_isolated(client, program):
    walk = _session_on(program.sessions(program.garden), "2026-12-01")
    walk.status = "cancelled"
    walk.cancel_reason = "Stormvarsel – vi går igen på fredag."
    db.session.commit()
    page = client.get(f"/sessions/{walk.id}?lang=ar").get_data(as_text=True)
    assert "<bdi>Stormvarsel – vi går igen på fredag.</bdi>" in page


def test_danish_place_names_in_an_arabic_page_are_isolated(client, program):
    dinner = _session_on(program.sessions(program.dinner), "2026-12-03")
    page = client.get(f"/sessions/{dinner.id}?lang=ar").get_data(as_text=True)
    assert "<bdi>Havehuset</bdi>, <bdi>Køkkenet</bdi>" in page
    assert "<bdi>Æblehaven 12, 4000 Roskilde</bdi>" in page


def test_a_title_without_an_arabic_text_is_shown_in_danish_and_marked_so(client, program):
    page = client.get("/week/2026-W49?lang=ar").get_data(as_text=True)
    assert '<span class="card__title"><bdi lang="da">Sammen om maden</bdi></span>' in page


def test_a_full_session_says_so(client, program):
    dinner = _session_on(program.sessions(program.dinner), "2026-12-03")
    _fill(dinner, 20)
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert "Fuldt – venteliste" in page


def test_activity_page_lists_upcoming_dates_with_paging(client, program):
    page = client.get("/activities/sammen-om-maden").get_data(as_text=True)
    assert "<h1><bdi>Sammen om maden</bdi></h1>" in page
    assert "20 kr." in page
    # Six Thursdays from 3 December to 7 January: the 6-week horizon ends on 13 January.
    assert page.count('class="date-row"') == 6
    assert "torsdag den 3. december 2026" in page
    assert "26. november" not in page  # ended sessions are not upcoming


def test_activity_page_pages_after_ten_dates(client, program, make_activity):
    from havehus.program.services import expand_horizon
    from tests.program_fixtures import CPH, NOW

    make_activity(slug="daily", rrule="FREQ=DAILY", starts_on=NOW.date(), category="walking")
    expand_horizon(db.session, 3, NOW, CPH)
    db.session.commit()
    first = client.get("/activities/daily").get_data(as_text=True)
    assert first.count('class="date-row"') == 10
    assert 'href="/activities/daily?page=2" rel="next"' in first
    second = client.get("/activities/daily?page=2").get_data(as_text=True)
    assert 'href="/activities/daily?page=1" rel="prev"' in second


def test_unknown_activity_is_a_translated_404(client, program):
    response = client.get("/activities/nothing-here")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.get_data(as_text=True)
    english = client.get("/activities/nothing-here?lang=en").get_data(as_text=True)
    assert "Page not found" in english


def test_session_page_shows_date_time_and_place(client, program):
    dinner = _session_on(program.sessions(program.dinner), "2026-12-03")
    page = client.get(f"/sessions/{dinner.id}").get_data(as_text=True)
    assert "torsdag den 3. december 2026" in page
    assert "17:00</time>–<time" in page and "19:30</time>" in page
    assert "Æblehaven 12, 4000 Roskilde" in page
    assert 'href="/week/2026-W49"' in page


def test_session_page_of_a_past_session_says_it_took_place(client, program):
    garden = _session_on(program.sessions(program.garden), "2026-12-01")
    page = client.get(f"/sessions/{garden.id}").get_data(as_text=True)
    assert "Har fundet sted" in page


def test_pages_are_served_with_a_strict_content_security_policy(client, program):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_dst_week_shows_local_times(client, program, make_activity):
    from havehus.program.services import expand_horizon
    from tests.program_fixtures import CPH

    make_activity(
        slug="spring",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        category="music",
        starts_on=datetime(2027, 3, 23).date(),
    )
    expand_horizon(db.session, 20, datetime(2027, 3, 1, tzinfo=UTC), CPH)
    db.session.commit()
    for week in ("2027-W12", "2027-W13", "2027-W14"):
        page = client.get(f"/week/{week}").get_data(as_text=True)
        assert ">10:00</time>–<time" in page, week


def test_time_slots_of_one_activity_share_one_card(client, program):
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert page.count('class="card card--health"') == 1
    assert "14:00</time>–<time" in page and ">14:30</time>" in page  # 14:00–14:30 span
    assert "Book en tid" in page and "2 tider ledige" in page
    slots = re.findall(r'<a class="slot[^"]*" href="/sessions/(\d+)">', page)
    assert len(slots) == 2


def test_two_drop_in_walks_on_one_day_are_two_cards_not_slots(client, program, make_activity):
    make_activity(
        slug="gaa-faellesskab",
        title={"da": "Gå-fællesskab"},
        category="walking",
        rrule="FREQ=WEEKLY;BYDAY=SA;BYHOUR=9,16;BYMINUTE=0",
        starts_on=datetime(2026, 12, 5).date(),
        duration_minutes=60,
    )
    expand_horizon(db.session, 2, PROGRAM_NOW, CPH)
    db.session.commit()
    page = client.get("/week/2026-W50").get_data(as_text=True)  # Saturday 12 December
    assert page.count('class="card card--walking"') == 2
    assert ">09:00</time>" in page and ">16:00</time>" in page
    assert "Bare kom – ingen tilmelding" in page


def test_a_full_slot_is_marked_and_not_counted_as_free(client, program):
    first, second = [
        s
        for s in program.sessions(program.vaccination)
        if s.starts_at.date().isoformat() == "2026-12-04"
    ]
    _fill(first, 2)
    page = client.get("/week/2026-W49").get_data(as_text=True)
    assert f'class="slot slot--closed" href="/sessions/{first.id}"' in page
    assert f'class="slot" href="/sessions/{second.id}"' in page
    assert "Fuldt</span>" in page and "1 tid ledig" in page


def test_ended_sessions_say_they_took_place_instead_of_offering_seats(client, program):
    page = client.get("/week/2026-W48").get_data(as_text=True)  # the whole week is past
    assert "Har fundet sted" in page
    assert "pladser tilbage" not in page and "tider ledige" not in page


def test_an_activity_shows_its_photo(client, program):
    program.dinner.photo = "dinner.jpg"
    db.session.commit()
    page = client.get("/activities/sammen-om-maden").get_data(as_text=True)
    assert 'src="/photos/dinner.jpg" alt="Foto: Sammen om maden"' in page
