"""Engine set-up: SQLite pragmas and the transaction mode per request."""

from __future__ import annotations

import contextvars
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

View = TypeVar("View", bound=Callable[..., Any])

#: "IMMEDIATE" takes SQLite's write lock when the transaction begins, so two writers never
#: deadlock on a lock upgrade; "DEFERRED" lets reads (GET requests) run side by side under WAL.
_sqlite_begin: contextvars.ContextVar[str] = contextvars.ContextVar(
    "havehus_sqlite_begin", default="IMMEDIATE"
)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not pysqlite, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()


#: How long a writer waits for SQLite's write lock (as `busy_timeout`, for everything else).
BUSY_SECONDS = 15.0
#: How often a waiting writer asks again. SQLite's own busy handler waits 1, 2, 5, 10 … up to
#: 100 ms between tries, so a writer that has waited a while sleeps through many releases
#: and, with two workers, one of them does nearly all the writing while the other sleeps.
WRITE_LOCK_POLL_SECONDS = 0.0002


def _on_begin(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    mode = _sqlite_begin.get()
    if mode == "IMMEDIATE":
        _begin_immediate(conn)
    else:
        conn.exec_driver_sql("BEGIN DEFERRED")  # a GET, or the reading part of a request


def _begin_immediate(conn: Connection) -> None:
    """BEGIN IMMEDIATE, asking again every `WRITE_LOCK_POLL_SECONDS` while another writer
    holds the lock, for up to BUSY_SECONDS."""
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    deadline = time.monotonic() + BUSY_SECONDS
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # (and BUSY_RECOVERY)
                if not busy or time.monotonic() >= deadline:
                    break
            time.sleep(WRITE_LOCK_POLL_SECONDS)
        # Once more, so that the error (if it fails again) is SQLAlchemy's, as for any statement.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")


def _no_write_while_reading(
    _conn: Connection, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
) -> None:
    """In the reading part of a `reads_first` request, a write would be lost (`begin_writing`
    rolls the reading back) or, on SQLite, take the lock it is there to avoid: refuse it."""
    if _sqlite_begin.get() == READS_FIRST and (
        context is not None and (context.isinsert or context.isupdate or context.isdelete)
    ):
        raise RuntimeError("a write in the reading part of a request: call begin_writing first")


def install_sqlite_settings() -> None:
    """Apply the SQLite settings that matter to every engine (other databases untouched), and
    the guard of the reading part of a request (every database)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
        event.listen(Engine, "before_cursor_execute", _no_write_while_reading)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    """Open SQLite transactions DEFERRED inside this block (safe requests that only read)."""
    token = _sqlite_begin.set("DEFERRED")
    try:
        yield
    finally:
        _sqlite_begin.reset(token)


#: The reading part of a `reads_first` request: begins DEFERRED, and writes only through
#: `begin_writing` (or a bookkeeping write apart, see `write_apart_from_reading`).
READS_FIRST = "READS_FIRST"


def set_transaction_mode(read_only: bool, *, reads_first: bool = False) -> contextvars.Token[str]:
    """Choose DEFERRED (read_only), READS_FIRST or IMMEDIATE for the rest of this context."""
    if read_only:
        return _sqlite_begin.set("DEFERRED")
    return _sqlite_begin.set(READS_FIRST if reads_first else "IMMEDIATE")


def reset_transaction_mode(token: contextvars.Token[str]) -> None:
    _sqlite_begin.reset(token)


def reads_first(view: View) -> View:
    """Mark a writing view whose first part only reads (finding the token and the session,
    the checks, an early refusal): its request begins DEFERRED like a GET, and
    `begin_writing` takes SQLite's write lock only when there is something to write."""
    view.havehus_reads_first = True  # type: ignore[attr-defined]
    return view


def is_read_first(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, "havehus_reads_first", False))


def in_reading_part() -> bool:
    """Inside the reading part of a `reads_first` request."""
    return _sqlite_begin.get() == READS_FIRST


def _end_reading(orm: Session | scoped_session[Any]) -> None:
    # (A statement that writes is refused while reading: `_no_write_while_reading`.)
    if orm.new or orm.dirty or orm.deleted:
        raise RuntimeError("a write in the reading part of a request would be lost")
    orm.rollback()


def begin_writing(orm: Session | scoped_session[Any]) -> bool:
    """From here on, write. In the reading part of a `reads_first` request, end its
    transaction (it wrote nothing) so that the next one begins IMMEDIATE: the write lock is
    then held for the writing alone, and everything it decides on is read again under it.
    Anywhere else (a POST, the CLI, the worker) the transaction already writes: nothing to do.
    True when a reading transaction was ended (what was read is expired).
    """
    if not in_reading_part():
        return False
    _end_reading(orm)
    _sqlite_begin.set("IMMEDIATE")
    return True


def write_apart_from_reading(orm: Session | scoped_session[Any], statement: Any) -> None:
    """A small bookkeeping write in the reading part of a `reads_first` request: in a short
    transaction of its own on the request's connection (a second connection per request
    could run the pool dry when many requests wait at once), after which reading goes on
    in a new one. What was read is expired."""
    _end_reading(orm)
    token = _sqlite_begin.set("IMMEDIATE")
    try:
        orm.execute(statement)
        orm.commit()
    except BaseException:
        orm.rollback()
        raise
    finally:
        _sqlite_begin.reset(token)


def in_read_only_mode() -> bool:
    """True inside a safe (GET/HEAD) request, whose transaction is never committed."""
    return _sqlite_begin.get() == "DEFERRED"
