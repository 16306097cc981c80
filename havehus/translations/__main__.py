"""``python -m havehus.translations sms-segments [LOCALES_DIR]``: per language, how many SMS
segments all texts cost, one each with sample values (the table in docs/translations.md; another
folder of catalogues, e.g. an older commit's, gives the "before")."""

from __future__ import annotations

import sys
from pathlib import Path

from havehus.i18n_tools import resident_msgids
from havehus.translations.catalogue import segment_table, sms_msgids


def main(argv: list[str]) -> int:
    if argv[:1] != ["sms-segments"] or len(argv) > 2:
        sys.stderr.write("usage: python -m havehus.translations sms-segments [LOCALES_DIR]\n")
        return 2
    locales = Path(argv[1]) if len(argv) == 2 else Path.cwd() / "locales"
    texts = sms_msgids(
        (entry.msgid, [place.rpartition(":")[0] for place in entry.locations])
        for entry in resident_msgids(Path.cwd())
    )
    sys.stdout.write("| language | texts | segments |\n|---|---|---|\n")
    for language, (count, segments) in segment_table(locales, texts).items():
        sys.stdout.write(f"| {language} | {count} | {segments} |\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
