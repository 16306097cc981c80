"""Upgrade safety: a database made by each earlier release's demo migrates to the head, and the
app serves it — the program, the calendar feeds, the staff pages, the API.

One fixture per release, `fixtures/release-VERSION.sqlite.gz`, made by
`fixtures/make_release_fixture.py` (how: its docstring and docs/deploy.md, "Upgrades").
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select, text

from havehus.attendance.invariants import visit_drift
from havehus.extensions import db, migrate
from havehus.models import Activity
from havehus.people.services import create_staff_user
from havehus.signup.invariants import seat_drift
from tests.conftest import DEFAULT_NOW, PinnedClock, build_app
from tests.staff_fixtures import PASSWORD, sign_in

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("release-*.sqlite.gz"))


def test_there_is_a_fixture_for_the_current_release() -> None:
    from importlib.metadata import version

    assert Path(__file__).parent / "fixtures" / f"release-{version('havehus')}.sqlite.gz" in (
        FIXTURES
    )


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name.split(".sqlite")[0])
def test_an_earlier_releases_demo_migrates_to_the_head_and_is_served(
    fixture: Path, tmp_path: Path, clock: PinnedClock
) -> None:
    database = tmp_path / "old.sqlite"
    with gzip.open(fixture, "rb") as source, database.open("wb") as out:
        shutil.copyfileobj(source, out)
    app = build_app(f"sqlite:///{database}", clock)
    with app.app_context():
        before = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.rollback()
        upgrade()
        heads = ScriptDirectory.from_config(migrate.get_config()).get_heads()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) in heads
        assert before  # a release's schema, made by its migrations
        assert not [*seat_drift(db.session), *visit_drift(db.session)]
        slug = db.session.scalars(
            select(Activity.slug).where(Activity.archived_at.is_(None))
        ).first()
        assert slug is not None
        create_staff_user(db.session, "upgrade@havehus.example", "admin", PASSWORD, DEFAULT_NOW)
        db.session.commit()

    client = app.test_client()
    for path in ("/", "/week/2026-W49", f"/activities/{slug}", "/calendar"):
        assert client.get(path).status_code == 200, path
    sessions = client.get("/api/v1/sessions?from=2026-11-30&to=2026-12-31")
    assert sessions.status_code == 200 and len(sessions.get_json()) > 20
    for feed in ("/calendar.ics", f"/activities/{slug}.ics"):
        answer = client.get(feed)
        assert answer.status_code == 200 and b"BEGIN:VCALENDAR" in answer.data, feed
    assert sign_in(client, "upgrade@havehus.example").status_code == 302
    for page in ("/staff/", "/staff/week/2026-W49", "/staff/system", "/staff/reports"):
        assert client.get(page).status_code == 200, page
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
