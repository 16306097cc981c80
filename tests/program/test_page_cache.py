"""Public pages from memory: each way a page can go stale, on one app and on two sharing one
database (as two gunicorn workers do), and nothing personal ever in a cached page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from havehus.config import current_settings
from havehus.extensions import db
from havehus.models import Session
from havehus.people.audit import CLI, Actor
from havehus.program.page_cache import PageCache
from havehus.program.sessions import cancel_session
from havehus.signup import services as signup_services
from tests.conftest import build_app
from tests.factories import add_participant
from tests.program_fixtures import CPH, NOW
from tests.query_count import counted_statements

PUBLIC = Actor("public")


def _dinner(program) -> Session:
    """Thursday 3 December, 17:00 in Copenhagen: on the front page on Wednesday the 2nd."""
    return next(s for s in program.sessions(program.dinner) if s.starts_at.date().day == 3)


def _book(session: Session) -> signup_services.BookingResult:
    result = signup_services.book(
        db.session,
        session,
        add_participant(at=NOW),
        NOW,
        PUBLIC,
        source="web",
        settings=current_settings(),
    )
    db.session.commit()
    return result


def test_a_second_visit_sends_no_orm_query_and_a_browser_copy_gets_304(client, program):
    first = client.get("/")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"] and "Accept-Language" in first.headers["Vary"]
    etag = first.headers["ETag"]

    with counted_statements() as statements:
        again = client.get("/")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == etag
    # Only the two versions are read, in one row on the driver's own connection (what the
    # staleness tests below prove is read every time): nothing through the ORM.
    assert statements == []

    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304


def test_a_planner_edit_shows_at_once(client, program):
    dinner = _dinner(program)
    before = client.get("/")
    assert "Aflyst" not in before.get_data(as_text=True)

    cancel_session(db.session, dinner, "Stormvejr", NOW, CLI, tz=CPH, settings=current_settings())
    db.session.commit()

    after = client.get("/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "Aflyst" in after.get_data(as_text=True) and "Stormvejr" in after.get_data(as_text=True)


def test_a_booking_and_a_cancellation_show_at_once_on_every_page(client, program):
    dinner = _dinner(program)
    pages = ("/", "/week/2026-W49", "/activities/sammen-om-maden", f"/sessions/{dinner.id}")
    for page in pages:
        assert "20 pladser tilbage" in client.get(page).get_data(as_text=True), page

    booked = _book(dinner)
    for page in pages:
        assert "19 pladser tilbage" in client.get(page).get_data(as_text=True), page

    signup_services.cancel(db.session, booked.booking, NOW, PUBLIC, current_settings())
    db.session.commit()
    for page in pages:
        assert "20 pladser tilbage" in client.get(page).get_data(as_text=True), page


def test_the_kiosk_listing_shows_a_booking_at_once(client, program):
    assert "20 pladser tilbage" in client.get("/kiosk").get_data(as_text=True)
    _book(_dinner(program))
    assert "19 pladser tilbage" in client.get("/kiosk").get_data(as_text=True)


def test_at_midnight_today_moves_on(client, program, clock):
    before = client.get("/week/2026-W49").get_data(as_text=True)
    assert re.search(r'<h2 id="day-2026-12-02">[^<]*<span class="badge">', before)

    clock.set(datetime(2026, 12, 2, 23, 1, tzinfo=UTC))  # 00:01 on Thursday in Copenhagen
    after = client.get("/week/2026-W49").get_data(as_text=True)
    assert re.search(r'<h2 id="day-2026-12-03">[^<]*<span class="badge">', after)
    assert '<li class="day day--past">' in after and after.count("day--past") == 3


def test_when_a_session_starts_its_sign_up_button_goes(client, program, clock):
    dinner = _dinner(program)
    path = f"/sessions/{dinner.id}"
    assert f"/sessions/{dinner.id}/signup" in client.get(path).get_data(as_text=True)

    clock.set(dinner.starts_at - timedelta(minutes=1))
    assert f"/sessions/{dinner.id}/signup" in client.get(path).get_data(as_text=True)
    clock.set(dinner.starts_at)
    assert f"/sessions/{dinner.id}/signup" not in client.get(path).get_data(as_text=True)
    clock.set(dinner.ends_at)
    assert "Har fundet sted" in client.get(path).get_data(as_text=True)


def test_languages_and_addresses_are_cached_apart(client, program):
    danish = client.get("/").get_data(as_text=True)
    arabic = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="da"' in danish and '<html lang="ar"' in arabic
    assert '<html lang="ar"' in client.get("/").get_data(as_text=True)  # the choice sticks
    client.delete_cookie("lang")
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in english
    assert '<html lang="da"' in client.get("/").get_data(as_text=True)


def test_a_change_made_by_another_worker_shows_at_once(client, program, sqlite_url, clock):
    """Two apps on one database file, each with its own cache, as two gunicorn workers."""
    dinner = _dinner(program)
    assert "20 pladser tilbage" in client.get("/").get_data(as_text=True)

    other = build_app(sqlite_url, clock)
    with other.app_context():
        assert "20 pladser tilbage" in other.test_client().get("/").get_data(as_text=True)
        mine = db.session.get(Session, dinner.id)
        assert mine is not None
        _book(mine)
        db.session.remove()
    assert "19 pladser tilbage" in client.get("/").get_data(as_text=True)

    cancel_session(db.session, dinner, "Stormvejr", NOW, CLI, tz=CPH, settings=current_settings())
    db.session.commit()
    with other.app_context():
        assert "Stormvejr" in other.test_client().get("/").get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_a_signed_in_host_gets_their_link_and_visitors_never_see_it(client, program, signed_in):
    dinner = _dinner(program)
    path = f"/sessions/{dinner.id}"
    anonymous = client.get(path).get_data(as_text=True)
    assert "Hvem kommer (personale)" not in anonymous

    signed_in("host")
    staff = client.get(path)
    assert "Hvem kommer (personale)" in staff.get_data(as_text=True)
    assert "ETag" not in staff.headers

    client.delete_cookie("session")  # signed out: a visitor again
    assert client.get(path).get_data(as_text=True) == anonymous


def test_the_next_moment_is_found_again_only_when_it_has_passed():
    cache = PageCache()
    asked: list[str] = []
    moment = NOW + timedelta(hours=1)

    def find(name: str) -> Callable[[], datetime | None]:
        def found() -> datetime | None:
            asked.append(name)
            return moment

        return found

    pages, kiosk = (7, (timedelta(0),)), (7, (timedelta(minutes=30),))
    for _ in range(3):  # the pages' and the kiosk's, asked in turn: each found once
        assert cache.next_moment(pages, NOW, find("pages")) == moment
        assert cache.next_moment(kiosk, NOW, find("kiosk")) == moment
    assert asked == ["pages", "kiosk"]

    cache.next_moment(pages, moment, find("pages"))  # it has come: found again
    cache.next_moment(pages, NOW, find("pages"))  # the clock went back: found again
    cache.next_moment((8, (timedelta(0),)), NOW, find("new version"))
    assert asked == ["pages", "kiosk", "pages", "pages", "new version"]
