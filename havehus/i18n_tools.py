"""Catalogue maintenance: fill the English catalogue, list what residents read, check .mo files.

Run as ``python -m havehus.i18n_tools COMMAND``:

- ``fill-source PO_FILE``: copy each msgid into its empty msgstr (the English catalogue; part of
  ``make i18n``);
- ``resident-msgids``: every resident-facing msgid of the code, with the places it is used;
- ``resident-missing LANG``: the resident-facing msgids LANG has not translated yet.

What the texts cost in SMS segments is ``python -m havehus.translations sms-segments``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

#: Where residents read: a msgid used in one of these files (glob patterns relative to the
#: project root) must be translated into every resident language (host mode too: many hosts are
#: residents with another mother tongue). Staff pages (templates/people,
#: templates/program/planner, the *staff_views modules...) are Danish and English only; the printed
#: week poster and session sign are made by staff but hang on the wall for residents, so they
#: count as theirs.
RESIDENT_SOURCES = (
    "templates/base.html",
    "templates/_macros.html",
    "templates/program/activity.html",
    "templates/program/session.html",
    "templates/program/week.html",
    "templates/signup/kiosk/*",
    "templates/attendance/*",
    "templates/core/*",
    "templates/errors/*",
    "templates/feeds/subscribe.html",
    "templates/program/planner/poster.html",
    "templates/program/planner/session_sign.html",
    "templates/signup/_summary.html",
    "templates/signup/booking.html",
    "templates/signup/cancel.html",
    "templates/signup/code.html",
    "templates/signup/form.html",
    "templates/signup/me.html",
    "templates/signup/record_pdf.html",
    "templates/signup/remind.html",
    "havehus/program/labels.py",
    "havehus/program/poster.py",
    "havehus/program/views.py",
    "havehus/program/calendar_info.py",
    "havehus/program/notices.py",
    "havehus/program/wording.py",
    "havehus/core/*",
    "havehus/errors.py",
    "havehus/validators.py",
    "havehus/i18n.py",
    "havehus/ratelimit.py",
    "havehus/feeds/views.py",
    "havehus/signup/challenges.py",
    "havehus/signup/forms.py",
    "havehus/attendance/*",
    "havehus/signup/kiosk.py",
    "havehus/signup/kiosk_views.py",
    "havehus/signup/me.py",
    "havehus/signup/phones.py",
    "havehus/signup/record_pdf.py",
    "havehus/signup/remind_me.py",
    "havehus/signup/replies.py",
    "havehus/signup/texts.py",
    "havehus/signup/services.py",
    "havehus/signup/views.py",
    "havehus/messaging/*",
)

#: Staff-only files inside a resident folder: the outbox and broadcast pages, and the checks a
#: manager's broadcast must pass (havehus/messaging/broadcasts.py raises only to staff).
STAFF_SOURCES = (
    "*/staff_views.py",
    "*/planner_views/*",
    "*/admin_views.py",
    "havehus/messaging/broadcasts.py",
)

#: The keywords ``make i18n`` extracts besides Babel's defaults.
EXTRA_KEYWORDS = ("_l", "lazy_gettext")

#: printf-style (%(name)s, %d, %%) and str.format-style ({name}) placeholders.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]|\{\w*\}")


def load_po(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def fill_source(path: Path) -> int:
    """Copy each msgid into its empty msgstr (source strings are English); returns how many."""
    catalog = load_po(path)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(_forms(message)):
                message.string = tuple(
                    message.id[0] if index == 0 else message.id[1]
                    for index in range(catalog.num_plurals)
                )
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    return filled


def untranslated(catalog: Catalog) -> list[str]:
    """msgids with no translation (or a fuzzy one, which gettext ignores)."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing


def compiled_matches(po_path: Path, mo_path: Path) -> bool:
    """True when the .mo beside a .po holds exactly what compiling the .po would."""
    fresh = BytesIO()
    write_mo(fresh, load_po(po_path))
    fresh.seek(0)
    with mo_path.open("rb") as fh:
        committed = read_mo(fh)
    expected = read_mo(fresh)

    def frozen(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    def pairs(catalog: Catalog) -> dict[object, object]:
        return {frozen(m.id): frozen(m.string) for m in catalog if m.id}

    return pairs(committed) == pairs(expected)


def is_resident_source(path: str) -> bool:
    """True for a file whose strings residents read (a ``*`` in the rules spans folders)."""
    path = path.replace("\\", "/")
    if any(fnmatchcase(path, pattern) for pattern in STAFF_SOURCES):
        return False
    return any(fnmatchcase(path, pattern) for pattern in RESIDENT_SOURCES)


@dataclass(frozen=True)
class Extracted:
    msgid: str
    #: "path:line" of every use, sorted.
    locations: tuple[str, ...]

    @property
    def resident(self) -> bool:
        return any(is_resident_source(location.rpartition(":")[0]) for location in self.locations)


def extract(root: Path) -> list[Extracted]:
    """Every msgid in the code under root (as ``make i18n`` extracts them), with its uses."""
    with (root / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(dict.fromkeys(EXTRA_KEYWORDS))
    found: dict[str, set[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(f"{filename}:{lineno}")
    return [
        Extracted(msgid, tuple(sorted(found[msgid], key=_location_key))) for msgid in sorted(found)
    ]


def _location_key(location: str) -> tuple[str, int]:
    path, _sep, line = location.rpartition(":")
    return path, int(line)


def resident_msgids(root: Path) -> list[Extracted]:
    """The msgids residents read: used at least once in a resident-facing file."""
    return [entry for entry in extract(root) if entry.resident]


def untranslated_of(catalog: Catalog, msgids: Iterable[str]) -> list[str]:
    """Those of msgids the catalogue lacks, leaves empty or marks fuzzy."""
    missing = []
    for msgid in msgids:
        message = _find(catalog, msgid)
        if message is None or message.fuzzy or not _all_strings(message):
            missing.append(msgid)
    return missing


def _find(catalog: Catalog, msgid: str) -> Message | None:
    message = catalog.get(msgid)
    if message is not None:
        return message
    # Plural entries are keyed by their singular msgid.
    return next((m for m in catalog if isinstance(m.id, tuple) and m.id[0] == msgid), None)


def _forms(message: Message) -> tuple[str, ...]:
    """A message's translations: each plural form, or its one string ("" when it has none)."""
    if message.string is None:
        return ("",)
    if isinstance(message.string, str):
        return (message.string,)
    return tuple(message.string)


def _all_strings(message: Message) -> bool:
    return all(_forms(message))


def placeholders(text: str) -> set[str]:
    """The %-style and {}-style placeholders of a string."""
    return set(PLACEHOLDER.findall(text))


def placeholder_problems(catalog: Catalog) -> list[str]:
    """Translations whose placeholders differ from their msgid's (a crash or a lost value).

    A plural form may leave out a placeholder (Arabic says "one seat" without the 1), but never
    invent one, and together the forms use every placeholder of the msgid.
    """
    problems = []
    for message in catalog:
        if not message.id or not _all_strings(message):
            continue
        if isinstance(message.id, tuple):
            expected = set().union(*(placeholders(part) for part in message.id))
            forms = [placeholders(form) for form in _forms(message)]
            if any(not form <= expected for form in forms) or set().union(*forms) != expected:
                problems.append(str(message.id[0]))
        elif placeholders(str(message.id)) != placeholders(str(message.string)):
            problems.append(str(message.id))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "fill-source":
        sys.stdout.write(f"{argv[1]}: {fill_source(Path(argv[1]))} entries filled\n")
        return 0
    if argv == ["resident-msgids"]:
        for entry in resident_msgids(Path.cwd()):
            sys.stdout.write(f"{entry.msgid!r}\n    {' '.join(entry.locations)}\n")
        return 0
    if len(argv) == 2 and argv[0] == "resident-missing":
        po = Path.cwd() / "locales" / argv[1] / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            sys.stderr.write(f"no catalogue {po}\n")
            return 2
        wanted = [entry.msgid for entry in resident_msgids(Path.cwd())]
        for msgid in untranslated_of(load_po(po), wanted):
            sys.stdout.write(f"{msgid!r}\n")
        return 0
    sys.stderr.write(
        "usage: python -m havehus.i18n_tools fill-source PO_FILE\n"
        "       python -m havehus.i18n_tools resident-msgids\n"
        "       python -m havehus.i18n_tools resident-missing LANG\n"
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
