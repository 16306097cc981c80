"""Two readers of iCalendar text that share no code with icalendar, which writes the feeds.

Both convert each event's local start and end to UTC through the VTIMEZONE in the text itself,
as calendar clients do, rather than by looking the TZID up in a time zone database:

- ical.js (Mozilla's, npm), run with node on `js/read-ics.mjs`;
- dateutil's `tzical`, which turns a VTIMEZONE into a tzinfo, with a minimal reading of the
  events' UID, DTSTART and DTEND lines written here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from io import StringIO
from pathlib import Path

from dateutil.tz import tzical

JS_DIR = Path(__file__).parent / "js"
ICALJS_SCRIPT = JS_DIR / "read-ics.mjs"
ICALJS_PACKAGE = JS_DIR / "node_modules" / "ical.js" / "package.json"


@dataclass(frozen=True)
class Reading:
    """One event as a reader understood it: its UID and its start and end in UTC."""

    uid: str
    start: datetime
    end: datetime


def icaljs_version() -> str | None:
    """The installed ical.js version, None if `npm ci` has not been run in tests/feeds/js."""
    if not ICALJS_PACKAGE.exists():
        return None
    return str(json.loads(ICALJS_PACKAGE.read_text())["version"])


def icaljs_pinned_version() -> str:
    lock = json.loads((JS_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/ical.js"]["version"])


def read_with_icaljs(node: str, path: Path) -> list[Reading]:
    """The events of an .ics file as ical.js reads them."""
    # A far-off system zone: a result that leaned on the machine's zone would show it.
    env = {**os.environ, "TZ": "Pacific/Kiritimati"}
    result = subprocess.run(
        [node, str(ICALJS_SCRIPT), str(path)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"ical.js could not read {path.name}:\n{result.stderr}")
    return [
        Reading(row["uid"], _utc(row["start"]), _utc(row["end"]))
        for row in json.loads(result.stdout)
    ]


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- dateutil


_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE\r?\n.*?^END:VTIMEZONE\r?$", re.MULTILINE | re.DOTALL)
_EVENT = re.compile(r"^BEGIN:VEVENT\r?\n(.*?)^END:VEVENT\r?$", re.MULTILINE | re.DOTALL)


def read_with_dateutil(body: bytes) -> list[Reading]:
    """The events of iCalendar text, local times read through its VTIMEZONEs by dateutil."""
    text = body.decode()
    zones: dict[str, tzinfo] = {}
    for block in _VTIMEZONE.findall(text):
        parsed = tzical(StringIO(block))
        for key in parsed.keys():
            zone = parsed.get(key)
            assert zone is not None
            zones[key] = zone
    readings = []
    for block in _EVENT.findall(text):
        lines = _properties(block)
        readings.append(
            Reading(
                lines["UID"][1],
                _instant(lines["DTSTART"], zones),
                _instant(lines["DTEND"], zones),
            )
        )
    return readings


def _properties(block: str) -> dict[str, tuple[dict[str, str], str]]:
    """NAME → (parameters, value) of a component's lines, folding undone (RFC 5545 3.1)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", block)
    found: dict[str, tuple[dict[str, str], str]] = {}
    for line in unfolded.splitlines():
        if line.startswith("BEGIN:"):
            break  # a component inside the event (VALARM): its lines are not the event's
        if not line:
            continue
        # The value starts at the first colon outside a quoted parameter value.
        match = re.match(r'((?:[^:"]|"[^"]*")*):(.*)', line)
        assert match, line
        head, value = match.groups()
        name, *parameters = head.split(";")
        params = dict(part.split("=", 1) for part in parameters)
        found.setdefault(
            name.upper(), ({k.upper(): v.strip('"') for k, v in params.items()}, value)
        )
    return found


def _instant(line: tuple[dict[str, str], str], zones: dict[str, tzinfo]) -> datetime:
    params, value = line
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    tzid = params.get("TZID")
    if tzid not in zones:
        raise AssertionError(f"{value}: TZID {tzid!r} has no VTIMEZONE in the text")
    local = datetime.strptime(value, "%Y%m%dT%H%M%S")
    return local.replace(tzinfo=zones[tzid]).astimezone(UTC)
