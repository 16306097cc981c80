"""The page's language: ?lang= → cookie → the person's saved language → Accept-Language → Danish."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from babel import Locale
from flask.testing import FlaskClient

from havehus.config import current_settings
from havehus.extensions import db
from havehus.i18n import KNOWN_LANGUAGES
from havehus.models import Participant
from havehus.people.audit import Actor
from havehus.program.labels import language_name
from havehus.signup import me, services, texts
from havehus.signup import tokens as signup_tokens
from tests.conftest import DEFAULT_NOW, build_app

NOW = DEFAULT_NOW
_HTML = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')


def page_language(client: FlaskClient, path: str, **headers: str) -> tuple[str, str]:
    """The lang and dir of the page's <html> element."""
    response = client.get(path, headers=headers)
    match = _HTML.search(response.get_data(as_text=True))
    assert match, f"no <html lang dir> on {path}"
    return match.group(1), match.group(2)


@pytest.fixture
def person_in(make_activity, make_session, make_location):
    """A participant with a saved language and a booking; returns their two page paths."""

    def make(language: str) -> tuple[str, str]:
        activity = make_activity(mode="signup", capacity=5, location=make_location())
        session = make_session(activity, NOW + timedelta(days=2))
        person = Participant(
            public_id="person-1", display_name="Amal", language=language, created_at=NOW
        )
        db.session.add(person)
        db.session.flush()
        booking = services.book(
            db.session,
            session,
            person,
            NOW,
            Actor("public"),
            source="web",
            settings=current_settings(),
        )
        booking_page = (
            f"/bookings/{signup_tokens.booking_token(booking.booking, current_settings())}"
        )
        me_page = f"/me/{me.personal_token(db.session, person, NOW, current_settings())}"
        db.session.commit()
        return booking_page, me_page

    return make


def test_without_any_choice_the_page_is_danish(client):
    assert page_language(client, "/") == ("da", "ltr")


def test_lang_parameter_wins_over_cookie_and_browser(client):
    client.set_cookie("lang", "uk")
    assert page_language(client, "/?lang=tr", **{"Accept-Language": "so"}) == ("tr", "ltr")


def test_lang_parameter_is_remembered_in_a_cookie(client):
    client.get("/?lang=ar")
    assert page_language(client, "/privacy") == ("ar", "rtl")


def test_an_unknown_lang_parameter_is_ignored(client):
    client.set_cookie("lang", "so")
    assert page_language(client, "/?lang=xx") == ("so", "ltr")


def test_cookie_wins_over_the_persons_language_and_the_browser(client, person_in):
    booking_page, _me_page = person_in("ar")
    client.set_cookie("lang", "uk")
    assert page_language(client, booking_page, **{"Accept-Language": "tr"}) == ("uk", "ltr")


@pytest.mark.parametrize("which", ["booking page", "my bookings"])
def test_a_persons_saved_language_wins_over_the_browser(client, person_in, which):
    booking_page, me_page = person_in("ur")
    path = booking_page if which == "booking page" else me_page
    assert page_language(client, path, **{"Accept-Language": "en"}) == ("ur", "rtl")


def test_the_persons_language_does_not_follow_them_to_other_pages(client, person_in):
    booking_page, _me_page = person_in("ur")
    client.get(booking_page)
    assert page_language(client, "/") == ("da", "ltr")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("so, en;q=0.5", "so"),
        ("fr, uk;q=0.8, en;q=0.5", "uk"),
        ("ar-EG", "ar"),
        ("tr-TR, tr;q=0.9", "tr"),
        ("fr, de", "da"),
    ],
)
def test_browser_language_picks_the_best_supported_one(client, header, expected):
    assert page_language(client, "/", **{"Accept-Language": header})[0] == expected


@pytest.mark.parametrize("code", ["ar", "ur"])
@pytest.mark.parametrize("path", ["/", "/privacy", "/kiosk", "/calendar", "/no-such-page"])
def test_arabic_and_urdu_pages_are_right_to_left(client, code, path):
    assert page_language(client, f"{path}?lang={code}") == (code, "rtl")


@pytest.mark.parametrize("code", ["da", "en", "tr", "so", "uk"])
def test_other_languages_are_left_to_right(client, code):
    assert page_language(client, f"/?lang={code}") == (code, "ltr")


def test_the_switch_names_each_language_in_itself(client):
    page = client.get("/").get_data(as_text=True)
    for code, name, direction in [
        ("da", "Dansk", "ltr"),
        ("en", "English", "ltr"),
        ("ar", "العربية", "rtl"),
        ("tr", "Türkçe", "ltr"),
        ("so", "Soomaali", "ltr"),
        ("ur", "اردو", "rtl"),
        ("uk", "Українська", "ltr"),
    ]:
        assert f'lang="{code}" dir="{direction}" hreflang="{code}"' in page
        assert f">{name}</a>" in page


RESIDENT_LANGUAGES = ("da", "en", "ar", "tr", "so", "ur", "uk")


@pytest.mark.parametrize("page", [code for code in RESIDENT_LANGUAGES if code != "en"])
def test_a_page_names_every_resident_language_in_its_own_words_not_in_english(app, page):
    english = Locale("en").languages
    with app.test_request_context(f"/?lang={page}"):
        names = {code: language_name(code) for code in RESIDENT_LANGUAGES}
    assert [code for code, name in names.items() if name == english[code]] == []


@pytest.mark.parametrize("code", RESIDENT_LANGUAGES)
def test_each_language_names_itself_as_the_switch_does(app, code):
    with app.test_request_context(f"/?lang={code}"):
        name = language_name(code)
    assert name.casefold() == KNOWN_LANGUAGES[code].native_name.casefold()


def test_a_somali_page_says_which_languages_are_spoken_in_somali(
    client, make_activity, make_session, make_location
):
    activity = make_activity(spoken_languages=["so", "tr"], location=make_location())
    make_session(activity, datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    db.session.commit()
    page = client.get("/week/2026-W49?lang=so").get_data(as_text=True)
    assert "Soomaali iyo Turki" in page
    assert "Turkish" not in page


@pytest.mark.parametrize("path", ["/staff/login", "/staff/no-such-page"])
def test_staff_pages_fall_back_to_english_from_a_resident_language(client, path):
    assert page_language(client, f"{path}?lang=ar") == ("en", "ltr")
    client.set_cookie("lang", "so")
    assert page_language(client, path) == ("en", "ltr")
    client.delete_cookie("lang")
    assert page_language(client, path, **{"Accept-Language": "ur"}) == ("en", "ltr")


def test_staff_pages_keep_danish_or_english(client):
    assert page_language(client, "/staff/login") == ("da", "ltr")
    assert page_language(client, "/staff/login?lang=en") == ("en", "ltr")
    client.set_cookie("lang", "da")
    assert page_language(client, "/staff/login", **{"Accept-Language": "en"}) == ("da", "ltr")


def test_staff_pages_offer_only_danish_and_english(client):
    page = client.get("/staff/login").get_data(as_text=True)
    switch = page.split('class="language-switch"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'hreflang="(\w+)"', switch) == ["da", "en"]


@pytest.mark.parametrize(
    ("code", "thursday"),
    [
        ("da", "torsdag 3. december"),
        ("en", "Thursday 3 December"),
        ("ar", "الخميس، 3 ديسمبر"),
        ("tr", "3 Aralık Perşembe"),
        ("so", "Khamiis, Diseembar 3"),
        ("ur", "جمعرات، 3 دسمبر"),
        ("uk", "четвер, 3 грудня"),
    ],
)
def test_days_and_times_are_written_in_the_pages_language(
    client, make_activity, make_session, make_location, code, thursday
):
    activity = make_activity(location=make_location())
    make_session(activity, datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    db.session.commit()
    page = client.get(f"/week/2026-W49?lang={code}").get_data(as_text=True)
    assert thursday in page  # the whole weekday, Western digits
    assert '<time datetime="2026-12-03T17:00+01:00">17:00</time>' in page  # 24-hour, local


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ar", "لك مكان: Sammen om maden، الخميس 3 ديسمبر الساعة 17:00."),
        ("ur", "آپ کی جگہ پکی ہے: Sammen om maden، جمعرات 3 دسمبر، 17:00 بجے۔"),
    ],
)
def test_texts_are_written_in_the_persons_language(
    app, make_activity, make_session, make_location, code, expected
):
    activity = make_activity(title={"da": "Sammen om maden"}, location=make_location())
    session = make_session(activity, datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    with app.test_request_context("/"):
        body = texts.confirmation_text(session, code, "https://x.test/b/1", waitlisted=False)
    assert body.startswith(expected)
    assert body.endswith("https://x.test/b/1")


def test_staff_pages_offer_english_even_where_residents_get_danish_only(sqlite_url):
    danish_only = build_app(sqlite_url, languages=["da"])
    with danish_only.app_context():
        db.create_all()
        client = danish_only.test_client()
        assert page_language(client, "/?lang=en") == ("da", "ltr")
        assert page_language(client, "/staff/login?lang=en") == ("en", "ltr")
        assert page_language(client, "/staff/login", **{"Accept-Language": "en"}) == ("en", "ltr")
        db.session.remove()
        db.engine.dispose()
