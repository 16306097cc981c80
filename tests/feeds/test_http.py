"""HTTP behaviour of the feeds: ETag, 304, Last-Modified, HEAD, gzip, caching headers."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from werkzeug.http import http_date

from havehus.extensions import db
from havehus.feeds import services
from havehus.feeds.views import _settings
from tests.feeds.conftest import NOW, cancel_session


@pytest.fixture
def feed_app(app):
    """Only the HTTP layer is under test here: SQLite is enough."""
    return app


def test_public_feed_has_a_strong_etag_last_modified_and_public_caching(house, feed_client):
    response = feed_client.get("/calendar.ics")

    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers


def test_if_none_match_answers_304_without_a_body(house, feed_client):
    first = feed_client.get("/calendar.ics")

    again = feed_client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_304_does_no_building(house, feed_app, feed_client):
    cache = feed_app.extensions["havehus.feeds"]
    with feed_app.test_request_context():
        spec = services.public_feed("da")
        state = services.feed_state(db.session, spec, NOW, _settings())

    response = feed_client.get("/calendar.ics", headers={"If-None-Match": f'"{state.etag}"'})

    assert response.status_code == 304
    assert cache.get(("public", "da"), state.fingerprint) is None


def test_if_modified_since_answers_304_until_the_program_changes(house, feed_client, clock):
    first = feed_client.get("/calendar.ics")
    since = first.headers["Last-Modified"]

    assert feed_client.get("/calendar.ics", headers={"If-Modified-Since": since}).status_code == 304

    clock.now = NOW + timedelta(hours=2)
    cancel_session(house.sessions(house.walk)[-1], "", clock.now)
    changed = feed_client.get("/calendar.ics", headers={"If-Modified-Since": since})
    assert changed.status_code == 200
    stale = feed_client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert stale.status_code == 200
    assert stale.headers["ETag"] != first.headers["ETag"]


def test_an_old_if_modified_since_gets_the_feed(house, feed_client):
    old = http_date(NOW - timedelta(days=400))

    assert feed_client.get("/calendar.ics", headers={"If-Modified-Since": old}).status_code == 200


def test_the_next_day_the_window_moves_and_the_etag_with_it(house, feed_client, clock):
    first = feed_client.get("/calendar.ics")
    clock.now = NOW + timedelta(days=1)

    later = feed_client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})

    assert later.status_code == 200


def test_head_answers_headers_only(house, feed_client):
    get = feed_client.get("/calendar.ics")
    head = feed_client.head("/calendar.ics")

    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(get.data))


def test_gzip_when_asked_with_its_own_etag(house, feed_client):
    plain = feed_client.get("/calendar.ics")
    packed = feed_client.get("/calendar.ics", headers={"Accept-Encoding": "gzip, deflate"})

    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] != plain.headers["ETag"]
    # Either tag proves the client has the current feed.
    for tag in (plain.headers["ETag"], packed.headers["ETag"]):
        again = feed_client.get(
            "/calendar.ics", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"}
        )
        assert again.status_code == 304


def test_feed_in_another_language_sets_no_language_cookie(house, feed_client):
    response = feed_client.get("/calendar.ics?lang=en")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_the_cache_holds_one_build_per_feed_and_language(house, feed_app, feed_client):
    feed_client.get("/calendar.ics")
    feed_client.get("/calendar.ics?lang=en")
    feed_client.get("/calendar.ics")

    assert len(feed_app.extensions["havehus.feeds"]) == 2
