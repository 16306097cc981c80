"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError

from havehus.config import change_settings, settings_of
from havehus.extensions import db
from havehus.models import ProgramVersion
from havehus.security import keyed_hash
from havehus.signup.invariants import seat_drift
from tests.conftest import build_app


def test_upgrade_matches_the_models_and_downgrade_removes_everything(database_url):
    app = build_app(database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        assert db.session.scalar(select(ProgramVersion.version)) == 1
        db.session.remove()

        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


_unique = itertools.count()


def _insert(connection, table_name: str, **values):
    """Insert a row into a table as an older revision has it: every required column the test
    does not care about gets a plain value of its type."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        python_type = column.type.python_type
        if python_type is bool:
            row[column.name] = False
        elif python_type is int:
            row[column.name] = 1
        elif python_type is datetime:
            row[column.name] = datetime(2026, 11, 1, 10, 0)
        elif python_type is date:
            row[column.name] = date(2026, 11, 1)
        elif python_type is time:
            row[column.name] = time(10, 0)
        elif python_type is str:
            length = getattr(column.type, "length", None) or 200
            row[column.name] = f"{table_name}-{column.name}-{next(_unique)}"[:length]
        else:  # JSON
            row[column.name] = {}
    return connection.execute(table.insert().values(row)).inserted_primary_key[0]


def test_people_sharing_a_number_are_merged_and_their_seats_stay_counted(database_url):
    """0007: live participants with one number become one; a family booked twice on one phone
    becomes one booking with a guest, so the seat counter still matches (and `check` agrees)."""
    app = build_app(database_url)
    with app.app_context():
        upgrade(revision="0006_phone_verified")
        with db.engine.begin() as connection:
            location = _insert(connection, "location", slug="havehuset", name="Havehuset")
            activity = _insert(
                connection,
                "activity",
                slug="maden",
                location_id=location,
                category="food",
                activity_type="network",
                mode="signup",
                visibility="public",
                offer_policy="immediate",
                capacity=10,
                duration_minutes=90,
            )
            session = {"activity_id": activity, "status": "scheduled"}
            dinner = _insert(
                connection,
                "session",
                **session,
                starts_at=datetime(2026, 11, 5, 17),
                ends_at=datetime(2026, 11, 5, 19),
                seats_taken=2,
            )
            walk = _insert(
                connection,
                "session",
                **session,
                starts_at=datetime(2026, 11, 6, 10),
                ends_at=datetime(2026, 11, 6, 11),
                seats_taken=1,
            )
            phone = "+4520123456"
            person = {"language": "da", "channel": "other"}
            amina = _insert(connection, "participant", **person, display_name="Amina", phone=phone)
            sara = _insert(connection, "participant", **person, display_name="Sara", phone=phone)
            other = _insert(
                connection, "participant", **person, display_name="Ole", phone="+4520999999"
            )
            _insert(
                connection,
                "booking",
                participant_id=amina,
                session_id=dinner,
                status="confirmed",
                source="web",
            )
            _insert(
                connection,
                "booking",
                participant_id=sara,
                session_id=dinner,
                status="confirmed",
                source="web",
            )
            _insert(
                connection,
                "booking",
                participant_id=sara,
                session_id=walk,
                status="confirmed",
                source="web",
            )
            _insert(connection, "consent", participant_id=sara, kind="sms")
        upgrade()
        with db.engine.connect() as connection:
            people = connection.execute(
                text("SELECT id, display_name FROM participant ORDER BY id")
            ).all()
            assert [name for _id, name in people] == ["Amina", "Ole"]
            bookings = connection.execute(
                text("SELECT participant_id, session_id, guests FROM booking ORDER BY session_id")
            ).all()
            assert bookings == [(amina, dinner, 1), (amina, walk, 0)]
            consents = connection.execute(text("SELECT participant_id FROM consent")).scalars()
            assert list(consents) == [amina]
            assert other in {person_id for person_id, _name in people}
        assert seat_drift(db.session) == []
        db.session.remove()
        db.engine.dispose()


def test_self_check_in_and_pulse_keep_every_session_and_booking(database_url):
    """0009: an activity gains the pulse flag (off), a face can be tapped once under its key,
    and neither the upgrade nor the downgrade loses a session, booking or tap."""
    app = build_app(database_url)
    with app.app_context():
        upgrade(revision="0013_operations")
        with db.engine.begin() as connection:
            location = _insert(connection, "location", slug="huset", name="Huset")
            activity = _insert(
                connection,
                "activity",
                slug="cafe",
                location_id=location,
                category="food",
                activity_type="network",
                mode="signup",
                visibility="public",
                offer_policy="immediate",
                capacity=10,
            )
            session = _insert(
                connection,
                "session",
                activity_id=activity,
                status="scheduled",
                starts_at=datetime(2026, 11, 5, 17),
                ends_at=datetime(2026, 11, 5, 19),
                seats_taken=1,
            )
            person = _insert(
                connection, "participant", display_name="Amina", language="da", channel="other"
            )
            _insert(
                connection,
                "booking",
                participant_id=person,
                session_id=session,
                status="confirmed",
                source="web",
            )
            _insert(connection, "attendance_tap", key="k" * 20, session_id=session, action="came")
        upgrade()
        with db.engine.begin() as connection:
            flags = connection.execute(text("SELECT wellbeing_pulse FROM activity")).scalars()
            assert [bool(flag) for flag in flags] == [False]
            _insert(connection, "attendance_tap", key="p" * 20, session_id=session, action="pulse")
            _insert(connection, "pulse", session_id=session, face=5, count=1)
        with db.engine.connect() as connection:
            with pytest.raises(IntegrityError):
                _insert(connection, "attendance_tap", key="x" * 20, session_id=session, action="x")
            connection.rollback()
            with pytest.raises(IntegrityError):
                _insert(connection, "pulse", session_id=session, face=6, count=1)
            connection.rollback()
        downgrade(revision="0013_operations")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM booking")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM session")).scalar() == 1
            taps = connection.execute(text("SELECT action FROM attendance_tap")).scalars()
            assert list(taps) == ["came"]
        db.session.remove()
        db.engine.dispose()


def test_translators_may_be_staff_users_and_no_staff_users_child_is_lost(database_url):
    """0018: the role check allows "translator" (SQLite: the check's text changed in place, so
    nothing hanging on a staff user is deleted, as rebuilding the table would); a translator is
    refused again after the downgrade."""
    app = build_app(database_url)
    created = datetime(2026, 11, 1, 9)
    with app.app_context():
        upgrade(revision="0015_imports")
        with db.engine.begin() as connection:
            manager = _insert(
                connection, "staff_user", email="m@h.example", name="M", role="manager",
                active=True, language="da", session_generation=0, created_at=created,
            )  # fmt: skip
            _insert(
                connection, "staff_session", staff_user_id=manager, token_hash="h" * 64,
                created_at=created, expires_at=created,
            )  # fmt: skip
        upgrade()
        with db.engine.begin() as connection:
            _insert(
                connection, "staff_user", email="t@h.example", name="T", role="translator",
                translates="ar", active=True, language="da", session_generation=0,
                created_at=created,
            )  # fmt: skip
            assert connection.execute(text("SELECT count(*) FROM staff_session")).scalar() == 1
            roles = connection.execute(text("SELECT role FROM staff_user ORDER BY id")).scalars()
            assert list(roles) == ["manager", "translator"]
        with db.engine.connect() as connection:
            with pytest.raises(IntegrityError):
                _insert(
                    connection, "staff_user", email="x@h.example", name="X", role="boss",
                    active=True, language="da", session_generation=0, created_at=created,
                )  # fmt: skip
            connection.rollback()
        downgrade(revision="0015_imports")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM staff_session")).scalar() == 1
        with db.engine.connect() as connection:
            with pytest.raises(IntegrityError):
                _insert(
                    connection, "staff_user", email="t2@h.example", name="T", role="translator",
                    active=True, language="da", session_generation=0, created_at=created,
                )  # fmt: skip
            connection.rollback()
        db.session.remove()
        db.engine.dispose()


def test_opt_outs_keep_the_numbers_keyed_hash_and_not_the_number(database_url, tmp_path):
    """0019: each opt-out row becomes the number's keyed hash, and so does each line of the
    opt-out log; the number itself is gone from both."""
    app = build_app(database_url)
    change_settings(app, opt_out_log=str(tmp_path / "opt-outs.jsonl"))
    (tmp_path / "opt-outs.jsonl").write_text(
        '{"at": "2026-11-01T10:00:00+00:00", "phone": "+4520123456", "action": "stop", '
        '"source": "sms"}\n'
    )
    with app.app_context():
        upgrade(revision="0015_imports")
        with db.engine.begin() as connection:
            _insert(connection, "opt_out", phone="+4520123456", source="sms")
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM opt_out")).mappings().all()
        assert [row["phone_hash"] for row in rows] == [
            keyed_hash(settings_of(app).opt_out_secret, "opt-out", "+4520123456")
        ]
        assert "phone" not in rows[0]
        assert "+4520123456" not in (tmp_path / "opt-outs.jsonl").read_text()
        downgrade(revision="0015_imports")
        db.session.remove()
        db.engine.dispose()
