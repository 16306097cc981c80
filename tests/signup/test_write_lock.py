"""A booking through the API holds SQLite's write lock only while it writes.

Its request begins by only reading (`havehus.database.reads_first`): the token, the session,
the checks and the refusal of a full session need no lock, so a burst of sign-ups on a dinner
evening is refused side by side; the booking itself takes the lock (`begin_writing`), reads
again under it what it decides on, and writes in a handful of statements.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import OperationalError

from havehus import database
from havehus.extensions import db
from havehus.models import Booking, Consent, Participant
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.signup import services
from havehus.signup import sign_up as sign_up_module
from tests.conftest import DEFAULT_NOW
from tests.query_count import counted_statements


@pytest.fixture
def headers(app) -> dict[str, str]:
    _token, raw = create_api_token(db.session, "Partner", "host", DEFAULT_NOW, CLI)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


@contextmanager
def write_lock_held(path: str) -> Iterator[sqlite3.Connection]:
    """Another writer holding the database's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


def _path() -> str:
    path = db.engine.url.database
    assert path
    return path


def test_a_full_session_refuses_while_another_writer_holds_the_lock(
    client, bookable, headers, monkeypatch
):
    closed = bookable(capacity=1, waitlist=False)
    url = f"/api/v1/sessions/{closed.id}/bookings"
    assert client.post(url, json={"name": "First"}, headers=headers).status_code == 201
    # Were the lock needed, the refusal would wait out the lock and fail instead.
    monkeypatch.setattr(database, "BUSY_SECONDS", 0.5)

    with write_lock_held(_path()):
        refused = client.post(url, json={"name": "Second"}, headers=headers)

    assert refused.status_code == 409 and refused.get_json()["code"] == "full"


def test_a_booking_waits_for_the_lock_and_then_books(client, bookable, headers):
    session = bookable(capacity=2)
    url = f"/api/v1/sessions/{session.id}/bookings"
    client.post(url, json={"name": "First"}, headers=headers)  # the token's first use is noted
    db.session.commit()  # the test's own reading ends here
    answers: list[int] = []
    with write_lock_held(_path()):
        booking = threading.Thread(
            target=lambda: answers.append(
                client.post(url, json={"name": "Asha"}, headers=headers).status_code
            )
        )
        booking.start()
        # (Plain sleeps and joins: a wait with a timeout is not to be trusted under
        # libfaketime, which CI runs the suite under.)
        time.sleep(0.3)
        assert not answers  # waiting for the lock, not refused, not failed
    booking.join()

    assert answers == [201]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2


def test_a_booking_sends_few_statements_and_decides_under_the_lock(client, bookable, headers):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    client.post(url, json={"name": "First"}, headers=headers)  # the token's first use is noted

    with counted_statements() as statements:
        response = client.post(url, json={"name": "Asha"}, headers=headers)

    assert response.status_code == 201
    verbs = [" ".join(s.split()[:3]).upper() for s in statements]
    # Reading (no lock): the token, the session with its activity. Writing: the session read
    # again, the seat, the person and the booking (one flush), the booking's link, the seats
    # version.
    assert verbs == [
        "SELECT API_TOKEN.ID, API_TOKEN.NAME,",
        *["SELECT SESSION.ID, SESSION.ACTIVITY_ID,"] * 2,
        "UPDATE SESSION SET",
        "INSERT INTO PARTICIPANT",
        "INSERT INTO BOOKING",
        "UPDATE BOOKING SET",
        "UPDATE PROGRAM_VERSION SET",
    ]


def test_someone_new_with_the_health_consent_is_booked_with_it(client, bookable, headers):
    session = bookable(capacity=3, category="health", sensitive=True)
    url = f"/api/v1/sessions/{session.id}/bookings"

    response = client.post(url, json={"name": "Amal", "health_consent": True}, headers=headers)

    assert response.status_code == 201
    person = db.session.scalar(select(Participant).where(Participant.display_name == "Amal"))
    consent = db.session.scalar(select(Consent).where(Consent.participant_id == person.id))
    assert consent is not None and consent.kind == "health"
    assert db.session.scalar(select(Booking.participant_id)) == person.id


def test_a_writer_asks_again_until_the_lock_is_free(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    database.install_sqlite_settings()
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    path = str(tmp_path / "lock.db")

    def commit_later(other: sqlite3.Connection) -> None:
        time.sleep(0.2)
        other.execute("COMMIT")

    with write_lock_held(path) as other:
        release = threading.Thread(target=commit_later, args=(other,))
        release.start()
        with engine.begin() as connection:  # waits, then begins once the lock is free
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        release.join()
        other.execute("BEGIN IMMEDIATE")  # for the block's own ROLLBACK

    # Held past BUSY_SECONDS: SQLAlchemy's OperationalError, after about that long.
    monkeypatch.setattr(database, "BUSY_SECONDS", 0.2)
    with write_lock_held(path):
        start = time.monotonic()
        with pytest.raises(OperationalError, match="locked"), engine.begin():
            pass
        waited = time.monotonic() - start
    assert waited < 10  # not the 15 s of busy_timeout on top
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    engine.dispose()


def test_a_session_deleted_before_the_lock_is_not_found(client, bookable, headers, monkeypatch):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    session_id = session.id
    real = sign_up_module.begin_writing

    def deleted_meanwhile(orm):  # e.g. its activity archived by a manager just then
        with sqlite3.connect(_path()) as other:
            other.execute("DELETE FROM session WHERE id = ?", (session_id,))
        return real(orm)

    monkeypatch.setattr(sign_up_module, "begin_writing", deleted_meanwhile)
    response = client.post(url, json={"name": "Asha"}, headers=headers)

    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0


def test_what_changed_before_the_lock_is_checked_again(client, bookable, headers, monkeypatch):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    activity_id = session.activity_id
    real = sign_up_module.begin_writing

    def made_a_health_appointment_meanwhile(orm):
        with sqlite3.connect(_path()) as other:
            other.execute("UPDATE activity SET sensitive = 1 WHERE id = ?", (activity_id,))
        return real(orm)

    monkeypatch.setattr(sign_up_module, "begin_writing", made_a_health_appointment_meanwhile)
    response = client.post(url, json={"name": "Asha"}, headers=headers)

    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"health_consent"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_seat_is_taken_under_the_lock(client, bookable, headers, monkeypatch):
    session = bookable(capacity=3)
    url = f"/api/v1/sessions/{session.id}/bookings"
    client.post(url, json={"name": "First"}, headers=headers)  # the token's first use is noted
    real = services.take_seat
    others_could_write: list[bool] = []

    def try_the_lock_meanwhile(*args, **kwargs):
        other = sqlite3.connect(_path(), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            others_could_write.append(True)
        except sqlite3.OperationalError:
            others_could_write.append(False)
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "take_seat", try_the_lock_meanwhile)
    assert client.post(url, json={"name": "Asha"}, headers=headers).status_code == 201
    assert others_could_write == [False]


def test_a_write_in_the_reading_part_is_refused(app):
    token = database.set_transaction_mode(False, reads_first=True)
    try:
        with pytest.raises(RuntimeError, match="begin_writing"):
            db.session.execute(update(Participant).values(language="da"))
        db.session.rollback()
    finally:
        database.reset_transaction_mode(token)


def test_the_transaction_mode_is_chosen_before_any_other_hook(app):
    first = app.before_request_funcs[None][0]
    assert first.__name__ == "_choose_transaction_mode"
