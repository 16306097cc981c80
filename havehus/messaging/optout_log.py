"""An append-only log of every STOP and START, kept outside the main database.

A restore brings the database back to the backup's moment; numbers that said STOP since then
would be texted again. Every opt-out and opt-in is therefore also appended to a JSON-lines file
in the instance folder (`opt_out_log` setting), and a restore applies the lines written after
the backup again. Lines are written as the change is recorded, before the transaction commits:
a line for a change that was then rolled back only repeats what the person asked for.

Neither the log nor the opt-out table holds a number: both keep its keyed hash
(`number_key`), which recognises the number when it comes again but cannot be read back.
Lines written before that (with "phone" in clear) are still read, and hashed as they are.
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
from havehus.security import keyed_hash

STOP, START = "stop", "start"
#: What the keyed hash of an opted-out number is for (see havehus.security.keyed_hash).
PURPOSE = "opt-out"


def number_key(phone: str, settings: Settings) -> str:
    """The keyed hash under which an opted-out number is stored, logged and looked up.

    The number itself is never kept for an opt-out: the hash recognises it when it comes
    again (an import, a sign-up, a text) but cannot be read back, nor tried without the key.
    """
    return keyed_hash(settings.opt_out_secret, PURPOSE, phone)


def log_path(settings: Settings) -> Path:
    """The log's file: the `opt_out_log` setting, relative to the instance folder."""
    path = Path(settings.opt_out_log)
    return path if path.is_absolute() else Path(settings.instance_path) / path


def append(settings: Settings, phone_hash: str, action: str, source: str, now: datetime) -> None:
    """Append one STOP or START (of the number's keyed hash) to the log and flush it."""
    path = log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "at": now.astimezone(UTC).isoformat(),
            "phone_hash": phone_hash,
            "action": action,
            "source": source,
        }
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class Entry:
    at: datetime
    phone_hash: str
    action: str
    source: str


def _hash_of(item: dict[str, object], settings: Settings) -> str:
    if "phone_hash" in item:
        return str(item["phone_hash"])
    return number_key(str(item["phone"]), settings)  # a line written before numbers were hashed


def entries_since(path: Path, since: datetime | None, settings: Settings) -> list[Entry]:
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
                datetime.fromisoformat(item["at"]),
                _hash_of(item, settings),
                item["action"],
                item["source"],
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if entry.action in (STOP, START) and (since is None or entry.at > since):
            found.append(entry)
    return found


def hash_old_lines(path: Path, settings: Settings) -> int:
    """Rewrite lines that still hold a number in clear with its keyed hash; how many.

    The one exception to "append-only", run once by the migration that hashed the table
    (and safe to run again): the file is replaced whole, so a crash leaves the old one.
    """
    if not path.exists():
        return 0
    changed = 0
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            lines.append(raw)
            continue
        if isinstance(item, dict) and "phone" in item:
            item["phone_hash"] = number_key(str(item.pop("phone")), settings)
            raw = json.dumps(item)
            changed += 1
        lines.append(raw)
    if changed:
        fresh = path.with_name(path.name + ".new")
        fresh.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        os.replace(fresh, path)
    return changed


def reapply(orm: OrmSession, entries: list[Entry]) -> int:
    """Apply the entries to the opt-out table in order; returns how many changed it."""
    changed = 0
    for entry in entries:
        if entry.action == STOP:
            changed += insert_ignoring_conflicts(
                orm,
                OptOut,
                [
                    {
                        "phone_hash": entry.phone_hash,
                        "opted_out_at": entry.at,
                        "source": entry.source,
                    }
                ],
            )
        else:
            result = orm.execute(delete(OptOut).where(OptOut.phone_hash == entry.phone_hash))
            changed += int(getattr(result, "rowcount", 0) or 0)
    return changed
