"""Real-browser fixtures: the app on a live server with the demo house, Debian's Chromium, axe.

One server and one browser for the whole test session; each test gets its own browser context
(cookies, viewport, touch, JavaScript on or off). Without Chromium or Playwright the tests are
skipped with the reason, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from havehus import create_app
from havehus.config import change_settings
from havehus.database import reset_transaction_mode, set_transaction_mode
from havehus.extensions import db
from havehus.paths import CONFIG_DIR
from tests.conftest import DEFAULT_NOW, PinnedClock, unavailable

HERE = Path(__file__).parent
AXE_JS = HERE / "vendor" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
TABLET = {"viewport": {"width": 1280, "height": 800}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _unavailable(reason: str) -> NoReturn:
    unavailable("The browser tests", reason)


def chromium_path() -> str | None:
    """Debian's Chromium: HAVEHUS_CHROMIUM, else `chromium` on the PATH."""
    candidate = os.environ.get("HAVEHUS_CHROMIUM") or shutil.which("chromium")
    if candidate and os.access(candidate, os.X_OK):
        return candidate
    return None


@dataclass
class LiveHouse:
    """The running demo house: its address, the app (for reading its database) and logins."""

    url: str
    app: Flask
    now: datetime  # the server's clock stands still here, whatever the machine's clock says
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (email, password)
    kiosk_token: str = ""

    def read(self, work: Callable[[Any], Any]) -> Any:
        """Run `work(db.session)` in a read-only transaction beside the server's requests."""
        token = set_transaction_mode(read_only=True)
        try:
            with self.app.app_context():
                try:
                    return work(db.session)
                finally:
                    db.session.rollback()
                    db.session.remove()
        finally:
            reset_transaction_mode(token)

    def latest_code(self, phone_digits: str) -> str:
        """The 6-digit code last texted to a number (the console backend keeps it in the outbox)."""
        from havehus.models import OutboundMessage

        def find(orm: Any) -> str:
            bodies = orm.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.kind == "code")
                .where(OutboundMessage.to_phone.endswith(phone_digits))
                .order_by(OutboundMessage.id.desc())
            ).all()
            assert bodies, f"no code was texted to …{phone_digits}"
            match = re.search(r"\b(\d{6})\b", bodies[0])
            assert match, bodies[0]
            return match.group(1)

        return self.read(find)


def _build_house(folder: Path, now: datetime) -> tuple[Flask, dict[str, tuple[str, str]], str]:
    from havehus.config import settings_of
    from havehus.demo import seed_demo
    from havehus.people.audit import CLI
    from havehus.people.credentials import enrol_kiosk
    from havehus.timeutil import house_tz

    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("HAVEHUS_"):
                patch.delenv(key)
        patch.setenv("HAVEHUS_INSTANCE_PATH", str(folder / "instance"))
        app = create_app(
            {
                "config_file": str(CONFIG_DIR / "test.toml"),
                "database_url": f"sqlite:///{folder / 'browser.db'}",
                "sms_backend": "console",
            },
            clock=PinnedClock(now),
        )
    with app.app_context():
        upgrade()
        result = seed_demo(db.session, now, house_tz(), settings_of(app))
        _device, kiosk_token = enrol_kiosk(db.session, "Tablet in the hall", None, now, CLI)
        _drop_in_on_now(now)
        _dinner_on_now(now)
        db.session.commit()
        db.session.remove()
    staff = {role: (email, password) for email, role, password in result.credentials}
    return app, staff, kiosk_token


def _drop_in_on_now(now: datetime) -> None:
    """An extra Nørklecafé that is on right now, so the kiosk always offers "I am here"."""
    from havehus.models import Activity, Session
    from havehus.program.services import bump_program_version

    activity = db.session.scalars(select(Activity).where(Activity.slug == "norklecafe")).one()
    db.session.add(
        Session(
            activity=activity,
            uid=f"browser-now-{now:%Y%m%d%H%M}@havehus",
            starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=3),
            created_at=now,
            updated_at=now,
        )
    )
    bump_program_version(db.session, now)


def _dinner_on_now(now: datetime) -> None:
    """A shared meal that began 20 minutes ago with four people booked: host mode's evening."""
    from havehus.models import Activity, Booking, Participant, Session

    activity = db.session.scalars(select(Activity).where(Activity.slug == "sammen-om-maden")).one()
    session = Session(
        activity=activity,
        uid=f"browser-dinner-{now:%Y%m%d%H%M}@havehus",
        starts_at=now - timedelta(minutes=20),
        ends_at=now + timedelta(hours=2),
        created_at=now,
        updated_at=now,
        seats_taken=4,
    )
    db.session.add(session)
    for number, name in enumerate(
        ("Amal Browser", "Birgit Browser", "Carlos Browser", "Dunja Browser")
    ):
        person = Participant(
            public_id=f"browser-dinner-{number}", display_name=name, language="da", created_at=now
        )
        db.session.add(
            Booking(
                participant=person,
                session=session,
                status="confirmed",
                source="staff",
                created_at=now,
                updated_at=now,
            )
        )


def _buffered(app: Any) -> Any:
    """The app with every response read and closed before werkzeug writes it.

    Werkzeug's development server skips closing the response when the browser drops
    the connection while it drains the request (`serving.py`, `run_wsgi`), so a static
    file left half-sent stays open and `filterwarnings = error` fails a test on the
    ResourceWarning, at whatever hour the browser happens to abort. Buffering here
    closes each file as soon as it is read; the house's own code is unchanged.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return serve


@pytest.fixture(scope="session")
def live_house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHouse]:
    """The app with the demo house on a temporary SQLite file, served on a free local port."""
    now = DEFAULT_NOW
    app, staff, kiosk_token = _build_house(tmp_path_factory.mktemp("browser-house"), now)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    change_settings(app, public_url=url)
    thread = threading.Thread(target=server.serve_forever, name="live-house", daemon=True)
    thread.start()
    try:
        yield LiveHouse(url=url, app=app, now=now, staff=staff, kiosk_token=kiosk_token)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; one for the whole session."""
    executable = chromium_path()
    if executable is None:
        _unavailable(
            "Chromium is not installed (apt-get install chromium, or set HAVEHUS_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Traffic:
    """What a context asked for: local requests and bytes received, and anything refused."""

    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


@pytest.fixture
def open_context(browser: Any, live_house: LiveHouse) -> Iterator[Callable[..., Any]]:
    """Make browser contexts that may only reach the live house; closed after the test."""
    contexts: list[Any] = []

    def open_(**options: Any) -> Any:
        traffic = Traffic()
        context = browser.new_context(base_url=live_house.url, **options)
        context.set_default_timeout(10_000)

        def guard(route: Any) -> None:
            address = route.request.url
            host = urlsplit(address).hostname
            if host in ("127.0.0.1", "localhost") or address.startswith("data:"):
                traffic.requests.append(address)
                route.continue_()
            else:
                traffic.foreign.append(address)
                route.abort()

        context.route("**/*", guard)
        context.traffic = traffic
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        assert not context.traffic.foreign, f"third-party requests: {context.traffic.foreign}"
        context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """Save a full-page screenshot of a step under tests/browser/screenshots/<test>/."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    counter = iter(range(1, 1000))

    def take(page: Any, step: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{next(counter):02d}-{step}.png"), full_page=True)

    return take
