"""The catalogue as a translator sees it: which strings are text messages, and what a text
costs in each language (an SMS preview with sample values, its segments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from havehus.i18n import left_to_right
from havehus.messaging.segments import SegmentInfo, describe

#: The modules that word text messages and reply answers: a msgid used in one is an SMS.
SMS_SOURCES = (
    "havehus/signup/texts.py",
    "havehus/signup/replies.py",
    "havehus/program/notices.py",
    "havehus/attendance/texts.py",
    "havehus/messaging/replies.py",
)
#: The languages whose texts the segment table counts (Danish first, then the house's others).
SMS_LANGUAGES = ("da", "en", "ar", "tr", "so", "ur", "uk")
#: The moment the samples speak of: Thursday 3 December 2026, 17:00.
SAMPLE_MOMENT = datetime(2026, 12, 3, 17, 0)
#: A booking link as long as a real one (a 43-character token).
SAMPLE_LINK = "https://havehus.dk/bookings/" + "x" * 43
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass(frozen=True)
class Preview:
    """A text as a phone would get it, with sample values, and what it costs."""

    body: str
    info: SegmentInfo


def load_catalogue(locales: Path, language: str) -> Catalog:
    with (locales / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def sample_values(language: str, when_pattern: str) -> dict[str, str]:
    """What the placeholders of a text hold in the preview, in `language`."""
    when = format_datetime(SAMPLE_MOMENT, when_pattern, locale=language)
    return {
        "name": "Sammen om maden",
        "title": "Sammen om maden",
        "when": when,
        "old": when,
        "link": SAMPLE_LINK,
        "site": "Havehuset",
        "word": "NEJ" if language not in ("en",) else "NO",
        "code": left_to_right("482913", language),
        "minutes": "15",
        "room": "Salen",
        "reason": "",
        "person": "Amina",
        "number": left_to_right("+4520123456", language),
    }


def preview(text: str, values: Mapping[str, str]) -> Preview:
    """The text with its placeholders filled (an unknown one by "Xxxxx")."""
    body = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "Xxxxx"), text).strip()
    return Preview(body, describe(body))


def sms_msgids(entries: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """The msgids, of (msgid, places used), that are used in a module wording texts."""
    return [msgid for msgid, places in entries if any(p in SMS_SOURCES for p in places)]


def segment_table(locales: Path, msgids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per language: (texts, segments of all of them) with the catalogues in `locales`."""
    wanted = list(msgids)
    table = {}
    for language in SMS_LANGUAGES:
        catalogue = load_catalogue(locales, language)
        when = _translated(catalogue, "EEEE d MMMM 'at' HH:mm")
        values = sample_values(language, when)
        segments = 0
        for msgid in wanted:
            segments += preview(_translated(catalogue, msgid), values).info.segments
        table[language] = (len(wanted), segments)
    return table


def _translated(catalogue: Catalog, msgid: str) -> str:
    message = catalogue.get(msgid)
    if message is None or not message.string or not isinstance(message.string, str):
        return msgid
    return message.string
