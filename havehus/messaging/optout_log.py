"""An append-only log of every STOP and START, kept outside the main database.

A restore brings the database back to the backup's moment; numbers that said STOP since then
would be texted again. Every opt-out and opt-in is therefore also appended to a JSON-lines file
in the instance folder (`opt_out_log` setting), and a restore applies the lines written after
the backup again. Lines are written as the change is recorded, before the transaction commits:
a line for a change that was then rolled back only repeats what the person asked for.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete

from havehus.config import Settings
from havehus.dbutil import insert_ignoring_conflicts
from havehus.models import OptOut
from havehus.orm import OrmSession

STOP, START = "stop", "start"


def log_path(settings: Settings) -> Path:
    """The log's file: the `opt_out_log` setting, relative to the instance folder."""
    path = Path(settings.opt_out_log)
    return path if path.is_absolute() else Path(settings.instance_path) / path


def append(settings: Settings, phone: str, action: str, source: str, now: datetime) -> None:
    """Append one STOP or START to the log and flush it to disk."""
    path = log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {"at": now.astimezone(UTC).isoformat(), "phone": phone, "action": action, "source": source}
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class Entry:
    at: datetime
    phone: str
    action: str
    source: str


def entries_since(path: Path, since: datetime | None) -> list[Entry]:
    """The log's lines after `since` (all when None), in the order they were written.

    A line that cannot be read (a crash in the middle of writing it) is passed over.
    """
    if not path.exists():
        return []
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(raw)
            entry = Entry(
                datetime.fromisoformat(item["at"]), item["phone"], item["action"], item["source"]
            )
        except (ValueError, KeyError, TypeError):
            continue
        if entry.action in (STOP, START) and (since is None or entry.at > since):
            found.append(entry)
    return found


def reapply(orm: OrmSession, entries: list[Entry]) -> int:
    """Apply the entries to the opt-out table in order; returns how many changed it."""
    changed = 0
    for entry in entries:
        if entry.action == STOP:
            changed += insert_ignoring_conflicts(
                orm,
                OptOut,
                [{"phone": entry.phone, "opted_out_at": entry.at, "source": entry.source}],
            )
        else:
            result = orm.execute(delete(OptOut).where(OptOut.phone == entry.phone))
            changed += int(getattr(result, "rowcount", 0) or 0)
    return changed
