"""The subscribe page: plain steps, addresses to copy, QR codes, links from other pages."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from tests.feeds.conftest import NOW


@pytest.fixture
def feed_app(app):
    return app


def test_subscribe_page_offers_webcal_https_and_a_qr_code(house, feed_client):
    page = feed_client.get("/calendar").get_data(as_text=True)

    assert 'href="webcal://havehus.test/calendar.ics"' in page
    assert 'value="http://havehus.test/calendar.ics"' in page
    assert 'data-copy="http://havehus.test/calendar.ics"' in page
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)"', page)
    assert qr is not None
    assert "style" not in unquote(qr.group(1))
    assert "/static/js/copy.js" in page


def test_subscribe_page_explains_iphone_google_and_outlook_in_danish(house, feed_client):
    page = feed_client.get("/calendar").get_data(as_text=True)

    assert "Programmet i din kalender" in page
    for client in ("iPhone", "Google Kalender", "Outlook"):
        assert client in page
    assert page.count("pictograms/") > 5


def test_subscribe_page_in_english_links_english_feeds(house, feed_client):
    page = feed_client.get("/calendar?lang=en").get_data(as_text=True)

    assert "The program in your calendar" in page
    assert 'href="webcal://havehus.test/calendar.ics?lang=en"' in page


def test_subscribe_page_lists_only_categories_with_public_activities(house, feed_client):
    page = feed_client.get("/calendar").get_data(as_text=True)

    for category in ("walking", "food", "health"):
        assert f"webcal://havehus.test/calendar/{category}.ics" in page
    assert "calendar/meeting.ics" not in page


def test_copy_buttons_wait_for_javascript(house, feed_client):
    page = feed_client.get("/calendar").get_data(as_text=True)

    buttons = re.findall(r"<button[^>]*data-copy[^>]*>", page)
    assert buttons
    assert all(" hidden" in button for button in buttons)


def test_session_and_activity_pages_link_their_calendar_files(house, feed_client, clock):
    walk = house.on(house.walk, NOW.date() + timedelta(days=5))

    session_page = feed_client.get(f"/sessions/{walk.id}").get_data(as_text=True)
    activity_page = feed_client.get("/activities/gaa-faellesskab").get_data(as_text=True)

    assert f'href="/sessions/{walk.id}.ics"' in session_page
    assert 'href="webcal://havehus.test/activities/gaa-faellesskab.ics"' in activity_page
    assert 'href="/calendar"' in session_page


def test_feed_addresses_read_left_to_right_in_an_arabic_page(house, feed_client):
    # In a right-to-left box a long address shows only its tail; an address is read from its
    # start, whatever the page's language.
    page = feed_client.get("/calendar?lang=ar").get_data(as_text=True)

    boxes = re.findall(r'<input class="copy-field"[^>]*>', page)
    assert boxes
    assert all('dir="ltr"' in box for box in boxes)
