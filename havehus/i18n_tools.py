"""Catalogue maintenance: fill the English catalogue, check that .mo files are up to date.

Run as ``python -m havehus.i18n_tools fill-source PO_FILE`` (part of ``make i18n``).
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po


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
            if not any(message.string):
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


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "fill-source":
        sys.stdout.write(f"{argv[1]}: {fill_source(Path(argv[1]))} entries filled\n")
        return 0
    sys.stderr.write("usage: python -m havehus.i18n_tools fill-source PO_FILE\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
