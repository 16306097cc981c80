"""Engine set-up: SQLite pragmas and the transaction mode per request."""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

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
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"BEGIN {_sqlite_begin.get()}")


def install_sqlite_settings() -> None:
    """Apply the SQLite settings that matter to every engine (other databases untouched)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    """Open SQLite transactions DEFERRED inside this block (safe requests that only read)."""
    token = _sqlite_begin.set("DEFERRED")
    try:
        yield
    finally:
        _sqlite_begin.reset(token)


def set_transaction_mode(read_only: bool) -> contextvars.Token[str]:
    """Choose DEFERRED (read_only) or IMMEDIATE for the rest of this context."""
    return _sqlite_begin.set("DEFERRED" if read_only else "IMMEDIATE")


def reset_transaction_mode(token: contextvars.Token[str]) -> None:
    _sqlite_begin.reset(token)


def in_read_only_mode() -> bool:
    """True inside a safe (GET/HEAD) request, whose transaction is never committed."""
    return _sqlite_begin.get() == "DEFERRED"
