"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import Delete, Update, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError

from havehus.database import in_read_only_mode, in_reading_part, write_apart_from_reading
from havehus.orm import OrmSession

log = logging.getLogger("havehus.db")

#: What an integer column holds: 32 bits on PostgreSQL. A larger number from outside is refused
#: where it comes in, never sent to the database (which would fail on it).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def db_int(value: str | int) -> int:
    """A whole number an integer column can hold; ValueError for anything else.

    Only ASCII digits (with an optional minus) are read: int() would also take "²" or "١".
    Usable as a `type=` of request.args.get and a form field's `coerce`.
    """
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
            raise ValueError(f"not a whole number: {value!r}")
        value = int(text)
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValueError(f"out of range: {value}")
    return value


def insert_ignoring_conflicts(orm: OrmSession, model: Any, rows: list[dict[str, Any]]) -> int:
    """INSERT rows, silently skipping any that break a unique constraint; returns rows added.

    Two processes doing the same idempotent work (expanding the horizon, seeding) then never
    fail on each other's rows.
    """
    if not rows:
        return 0
    dialect = orm.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    statement = (
        module.insert(table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    # RETURNING lists only the rows actually inserted; rowcount is unreliable for
    # multi-row inserts on some drivers.
    return len(orm.execute(statement).all())


def execute_rowcount(orm: OrmSession, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE without RETURNING; returns how many rows it matched."""
    result = orm.execute(statement)
    # Session.execute is typed to return a plain Result, because an ORM statement need not be
    # answered by a cursor; an UPDATE or DELETE without RETURNING always is.
    assert isinstance(result, CursorResult)
    return result.rowcount


def execute_apart(orm: OrmSession, statement: Any) -> bool:
    """Run a small bookkeeping write ("last used at"), best effort.

    In a read-only request (never committed) it runs in its own short transaction; in the
    reading part of a `reads_first` request, in a short one of its own on the same
    connection; in a writing request it joins the request's transaction, which already
    holds SQLite's write lock (a second connection would only wait for it). Returns False
    if it failed.
    """
    if in_reading_part():
        try:
            write_apart_from_reading(orm, statement)
        except OperationalError as exc:
            log.warning("Bookkeeping write skipped: %s", exc)
            return False
        return True
    if not in_read_only_mode():
        orm.execute(statement)
        return True
    try:
        with orm.get_bind().engine.connect() as connection:
            connection.execute(statement)
            connection.commit()
    except OperationalError as exc:
        log.warning("Bookkeeping write skipped: %s", exc)
        return False
    return True


def hold_keys(orm: OrmSession, *keys: str) -> None:
    """Let one transaction at a time count tries under these keys, until it ends.

    A limit that counts rows and then adds one ("ten failed sign-ins", "three codes an hour")
    is kept only when no other transaction counts the same rows in between. On PostgreSQL each
    key is a transaction-level advisory lock, taken in one order so two holders never deadlock;
    SQLite needs none, as a writing transaction begins IMMEDIATE and holds the database's write
    lock until it ends.
    """
    if orm.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        digest = hashlib.sha256(key.encode()).digest()
        orm.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], signed=True))))
