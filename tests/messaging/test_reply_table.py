"""The reply table: real sentences in seven languages and what each must do (replies_table.csv).

A reply acts only when it is unmistakable; a longer one that would cancel or opt out is asked
back ("ask_no", "ask_stop"), and anything else waits for staff ("other").
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from havehus.messaging.replies import READINGS, interpret

TABLE = Path(__file__).with_name("replies_table.csv")
#: The name of the person texting, per language: names stand around keywords ("Maya: nej").
NAMES = {
    "da": "Maya Nielsen",
    "en": "Sam Brown",
    "ar": "أمينة حسن",
    "tr": "Ayşe Yılmaz",
    "so": "Hodan Cali",
    "ur": "فاطمہ خان",
    "uk": "Олена Коваленко",
}
SITE = "Havehuset"


def _rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()


def test_the_table_holds_at_least_100_sentences_per_language_and_only_known_readings():
    per_language = Counter(row["language"] for row in ROWS)
    assert set(per_language) == set(NAMES)
    assert min(per_language.values()) >= 100, per_language
    assert {row["expected"] for row in ROWS} <= set(READINGS)
    assert len({(row["language"], row["reply"]) for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{row['language']}-{n}" for n, row in enumerate(ROWS, start=1)]
)
def test_each_reply_of_the_table_is_read_as_expected(row):
    got = interpret(row["reply"], [row["language"]], [NAMES[row["language"]], SITE])
    assert got == row["expected"], f"{row['reply']!r} ({row['why']})"
