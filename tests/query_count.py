"""Counting the SQL statements a piece of code sends (for asserting that a page has no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from havehus.extensions import db

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counted_statements(engine: Engine | None = None) -> Iterator[list[str]]:
    """Every statement sent on the engine (the app's by default) inside the block, in order;
    transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not counted."""
    engine = engine or db.engine
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
