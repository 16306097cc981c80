"""Where in the database a piece of text (a name, a number) is kept: every text column."""

from __future__ import annotations

import json

from sqlalchemy import JSON, Column, String, Text, select

from havehus.extensions import db


def text_columns() -> list[Column]:
    """Every column of every table that can hold a name or a number (string, text, JSON)."""
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
    ]


def places_holding(*needles: str) -> set[str]:
    """The `table.column`s where any of `needles` is found (case-insensitive)."""
    wanted = [needle.lower() for needle in needles if needle]
    found = set()
    for column in text_columns():
        for value in db.session.scalars(select(column).where(column.is_not(None))):
            text = (
                value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            ).lower()
            if any(needle in text for needle in wanted):
                found.add(f"{column.table.name}.{column.name}")
                break
    return found
