"""An append-only log of erasures, kept outside the main database.

A restore brings the database back to the backup's moment; a person deleted since then would be
back, name and number. Every erasure a manager confirms is therefore also appended to a
JSON-lines file in the instance folder (beside the opt-out log), and a restore erases the
people of the lines written after the backup again. A line holds the person's public id (random,
it names no one) and when: never a name or a number.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from havehus.config import Settings

FILE_NAME = "erasures.jsonl"


def log_path(settings: Settings) -> Path:
    return Path(settings.instance_path) / FILE_NAME


def append(settings: Settings, public_id: str, now: datetime) -> None:
    """Append one erasure and flush it to disk."""
    path = log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": now.astimezone(UTC).isoformat(), "public_id": public_id})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def erased_since(path: Path, since: datetime | None) -> list[str]:
    """The public ids erased after `since` (all when None), in order; a torn line is passed
    over."""
    if not path.exists():
        return []
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(raw)
            at = datetime.fromisoformat(item["at"])
            public_id = str(item["public_id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        if since is None or at > since:
            found.append(public_id)
    return found
