"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession


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
