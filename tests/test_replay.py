"""Answers given again without a Flask request (`havehus.core.replay`): what is kept, what
is never kept, and that nothing is given again once what decided it has changed."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, request_started
from sqlalchemy import event

from havehus import REPLAY_KEY, maintenance
from havehus.core.replay import Replay, replayable
from havehus.extensions import db
from tests.conftest import DEFAULT_NOW, build_app

RIGHT_TO_LEFT = re.compile(r'<html[^>]* dir="rtl"')


@contextmanager
def counted_control() -> Iterator[list[str]]:
    """Every statement sent on the app's engine meanwhile, BEGIN included."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@contextmanager
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths Flask itself handled meanwhile (a replayed answer never reaches it)."""
    seen: list[str] = []

    def note(sender: Flask, **_: Any) -> None:
        from flask import request

        seen.append(request.full_path.rstrip("?"))

    request_started.connect(note, app)
    try:
        yield seen
    finally:
        request_started.disconnect(note, app)


# ---------------------------------------------------------------- through the app


def test_a_second_identical_visit_is_replayed_with_its_own_request_id(app, client, program):
    first = client.get("/")
    with flask_requests(app) as handled:
        again = client.get("/")
    assert handled == []
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    mine = {key: value for key, value in first.headers if key != "X-Request-ID"}
    assert {key: value for key, value in again.headers if key != "X-Request-ID"} == mine
    # A request id the proxy sent is carried, as the app carries it.
    traced = client.get("/", headers={"X-Request-ID": "nginx-4711"})
    assert traced.headers["X-Request-ID"] == "nginx-4711"


def test_a_conditional_visit_gets_the_304_the_app_gave(app, client, program):
    etag = client.get("/").headers["ETag"]
    with flask_requests(app) as handled:
        first = client.get("/", headers={"If-None-Match": etag})
        second = client.get("/", headers={"If-None-Match": etag})
        stale = client.get("/", headers={"If-None-Match": '"an-old-copy"'})
    assert handled == ["/", "/"]  # the first 304 and the unknown copy; not the second 304
    assert first.status_code == second.status_code == 304 and second.get_data() == b""
    assert second.headers["ETag"] == etag
    assert stale.status_code == 200


def test_a_language_choice_is_replayed_with_its_cookie_and_apart(app, client, program):
    arabic = client.get("/?lang=ar")
    assert RIGHT_TO_LEFT.search(arabic.get_data(as_text=True))
    assert "lang=ar" in arabic.headers["Set-Cookie"]
    fresh = app.test_client()
    with flask_requests(app) as handled:
        again = fresh.get("/?lang=ar")
        danish = app.test_client().get("/")
    assert again.get_data() == arabic.get_data() and "lang=ar" in again.headers["Set-Cookie"]
    assert handled == ["/"] and not RIGHT_TO_LEFT.search(danish.get_data(as_text=True))


def test_anyone_with_a_session_or_a_credential_goes_through_the_app(app, client, program):
    client.get("/")
    with_session = app.test_client()
    with_session.set_cookie(app.config["SESSION_COOKIE_NAME"], "whatever")
    with flask_requests(app) as handled:
        with_session.get("/")
        app.test_client().get("/", headers={"Authorization": "Bearer x"})
        app.test_client().get("/", headers={"If-Modified-Since": "Wed, 02 Dec 2026 10:00:00 GMT"})
        app.test_client().head("/")
    assert handled == ["/"] * 4


def test_what_changes_is_never_replayed(app, client, program, clock):
    client.get("/")
    db.session.execute(db.text("UPDATE program_version SET seats_version = seats_version + 1"))
    db.session.commit()
    with flask_requests(app) as handled:
        client.get("/")
        client.get("/")
    assert handled == ["/"]  # once for the new seats version, then replayed again

    clock.set(clock.now.replace(hour=23, minute=30))  # past midnight in Copenhagen
    with flask_requests(app) as handled:
        client.get("/")
    assert handled == ["/"]


def test_nothing_is_replayed_in_maintenance(app, client, program):
    assert client.get("/healthz").status_code == 200
    client.get("/")
    maintenance.turn_on(app.instance_path, DEFAULT_NOW)
    assert client.get("/").status_code == 503
    assert client.get("/healthz").get_json()["status"] == "maintenance"
    maintenance.turn_off(app.instance_path)
    assert client.get("/healthz").status_code == 200


def test_errors_and_staff_pages_are_never_kept(app, client, program):
    client.get("/activities/no-such-thing")
    client.get("/staff/login")
    client.post("/")
    assert len(app.extensions[REPLAY_KEY]) == 0


def test_the_health_check_stops_saying_ok_when_the_database_goes(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    app = build_app(f"sqlite:///{folder / 'havehus.db'}")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with flask_requests(app) as handled:
        assert client.get("/healthz").status_code == 200
    assert handled == []
    shutil.rmtree(folder)
    with app.app_context():
        db.engine.dispose()  # the pool's open file would keep the old database alive
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["database"] == "unreachable"


def test_a_public_feed_is_replayed_and_a_planner_change_is_seen(app, client, program):
    first = client.get("/calendar.ics")
    with flask_requests(app) as handled:
        assert client.get("/calendar.ics").get_data() == first.get_data()
    assert handled == []
    # The feed reads the version at most once per `feed_version_seconds` (0 in the tests).
    db.session.execute(db.text("UPDATE program_version SET version = version + 1"))
    db.session.commit()
    with flask_requests(app) as handled:
        client.get("/calendar.ics")
    assert handled == ["/calendar.ics"]


def test_a_replayed_feed_reads_without_taking_the_write_lock(app, client, program):
    """Outside any request (a worker's thread, whose transaction mode is the default), the
    feed's check still only reads: it must not queue behind a booking for SQLite's lock."""
    client.get("/calendar.ics")
    answers: list[int] = []
    with counted_control() as statements:
        thread = threading.Thread(
            target=lambda: answers.append(client.get("/calendar.ics").status_code)
        )
        thread.start()
        thread.join(timeout=30)
    assert answers == [200]
    assert statements and not any("IMMEDIATE" in statement for statement in statements)


# ---------------------------------------------------------------- the middleware alone


@dataclass
class Always:
    answer: bool = True
    asked: int = 0

    def holds(self) -> bool:
        self.asked += 1
        return self.answer


class TinyApp:
    """A WSGI app that answers with what the test tells it to, and counts its calls."""

    def __init__(self, headers: list[tuple[str, str]], condition: Always | None) -> None:
        self.headers = headers
        self.condition = condition
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        if self.condition is not None:
            replayable(environ, self.condition)
        start_response("200 OK", [*self.headers, ("X-Request-ID", f"app-{self.calls}")])
        return [b"page ", str(self.calls).encode()]


def _replay(app: TinyApp, **kwargs: Any) -> Replay:
    return Replay(
        app,
        allowed_cookies=frozenset({"lang"}),
        paused=lambda: False,
        request_id=lambda raw: raw or "fresh",
        **kwargs,
    )


def _get(replay: Replay, **environ: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        got["status"], got["headers"] = status, headers

    base = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": ""}
    body = b"".join(replay({**base, **environ}, start_response))
    return got["status"], got["headers"], body


def test_only_marked_answers_are_kept_and_only_while_they_hold():
    unmarked = TinyApp([("Content-Type", "text/html")], None)
    replay = _replay(unmarked)
    _get(replay), _get(replay)
    assert unmarked.calls == 2

    condition = Always()
    marked = TinyApp([("Content-Type", "text/html"), ("ETag", '"a"')], condition)
    replay = _replay(marked)
    assert _get(replay)[2] == _get(replay)[2] == b"page 1" and marked.calls == 1
    assert ("X-Request-ID", "fresh") in _get(replay)[1]
    condition.answer = False
    assert _get(replay)[2] == b"page 2" and marked.calls == 2


def test_no_store_and_cookies_other_than_the_language_are_never_kept():
    for header in (
        ("Cache-Control", "no-store"),
        ("Set-Cookie", "session=abc; HttpOnly"),
        ("Set-Cookie", "havehus_kiosk=1"),
    ):
        app = TinyApp([header], Always())
        replay = _replay(app)
        _get(replay), _get(replay)
        assert app.calls == 2, header
    kept = TinyApp([("Set-Cookie", "lang=ar; Path=/")], Always())
    replay = _replay(kept)
    _get(replay), _get(replay)
    assert kept.calls == 1


def test_requests_differing_in_what_the_app_reads_are_kept_apart():
    app = TinyApp([], Always())
    replay = _replay(app)
    variants: list[dict[str, Any]] = [
        {},
        {"QUERY_STRING": "lang=ar"},
        {"HTTP_ACCEPT_LANGUAGE": "tr"},
        {"HTTP_ACCEPT_ENCODING": "gzip"},
        {"HTTP_COOKIE": "lang=uk"},
        {"HTTP_HOST": "other.example"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
    ]
    for environ in variants * 2:
        _get(replay, **environ)
    assert app.calls == len(variants)
    for environ in ({"REQUEST_METHOD": "POST"}, {"HTTP_COOKIE": "lang=da; session=x"}):
        _get(replay, **environ), _get(replay, **environ)
    assert app.calls == len(variants) + 4
    # Who asks is not what is answered: one copy for every visitor behind the proxy.
    for address in ("10.0.0.1", "10.0.0.2", "192.0.2.7"):
        _get(replay, HTTP_X_FORWARDED_FOR=address)
    assert app.calls == len(variants) + 4


def test_a_request_with_huge_headers_is_answered_but_not_kept():
    app = TinyApp([], Always())
    replay = _replay(app)
    huge = "da-DK," + ",".join(f"x-{n};q=0.1" for n in range(800))
    _get(replay, HTTP_ACCEPT_LANGUAGE=huge), _get(replay, HTTP_ACCEPT_LANGUAGE=huge)
    assert app.calls == 2 and len(replay) == 0


def test_the_kept_answers_are_bounded_in_number_and_bytes():
    app = TinyApp([], Always())
    replay = _replay(app, max_entries=3)
    for number in range(10):
        _get(replay, PATH_INFO=f"/{number}")
    assert len(replay) == 3
    _get(replay, PATH_INFO="/9")
    assert app.calls == 10

    # Each entry counts its key ("/N") and its body ("page N"): 8 bytes; room for two.
    small = _replay(TinyApp([], Always()), max_bytes=16)
    for number in range(5):
        _get(small, PATH_INFO=f"/{number}")
    assert len(small) == 2


def test_a_condition_that_cannot_be_checked_lets_the_app_answer():
    class Broken:
        def holds(self) -> bool:
            raise OSError("the database file is gone")

    app = TinyApp([], None)
    replay = _replay(app)
    app.condition = Broken()  # type: ignore[assignment]
    _get(replay)
    assert _get(replay)[2] == b"page 2" and app.calls == 2


def test_a_kept_answer_is_dropped_once_it_no_longer_holds():
    condition = Always()
    app = TinyApp([], condition)
    replay = _replay(app)
    _get(replay)
    condition.answer = False
    _get(replay)  # not held: dropped, asked again of the app, kept with the app's condition
    assert len(replay) == 1 and app.calls == 2
