"""What texts ask and how they read in every language: positive questions with the reply word
quoted, full weekday names in change notices, codes and numbers left to right in Arabic and Urdu.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask_babel import force_locale

from havehus.config import current_settings
from havehus.i18n import LRI, PDI
from havehus.messaging import replies
from havehus.program.notices import change_text
from havehus.program.wording import full_day_pattern, notice_when
from havehus.signup import texts

LANGUAGES = ("da", "en", "ar", "tr", "so", "ur", "uk")
TZ = ZoneInfo("Europe/Copenhagen")
#: Thursday 3 December 2026, 17:00 in Copenhagen.
START = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
LINK = "https://havehus.example/bookings/abc"
#: The reply word inside quotes of any kind: "NEJ", «NEJ», “NEJ”.
QUOTED = '["«“]{word}["»”]'


@pytest.fixture
def session(app, make_activity, make_session):
    activity = make_activity(mode="signup", capacity=3, title={"da": "Sammen om maden"})
    return make_session(activity, START)


def _texts_asking_for_a_word(session, language: str) -> dict[str, tuple[str, str]]:
    """Every text that asks for a reply word, with the word it asks for."""
    word, yes = texts.cancel_word(language), texts.yes_word(language)
    return {
        "reminder": (texts.reminder_text(session, language, LINK, can_reply=True), word),
        "promotion": (texts.promotion_text(session, language, LINK, can_reply=True), word),
        "offer": (texts.offer_text(session, language, LINK, can_reply=True), yes),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_asks_a_negative_question_and_every_reply_word_is_quoted(session, language):
    asked = _texts_asking_for_a_word(session, language)
    asked["confirmation"] = (texts.confirmation_text(session, language, LINK, waitlisted=False), "")
    asked["no reply"] = (texts.reminder_text(session, language, LINK, can_reply=False), "")
    for kind, (text, word) in asked.items():
        assert "?" not in text and "؟" not in text, (kind, text)
        if word:
            assert re.search(QUOTED.format(word=word), text), (kind, text)
            # The word works as a reply from someone of this language.
            assert replies.interpret(word, [language]) in ("yes", "no"), word


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_text_quotes_every_word_it_names(app, language):
    with force_locale(language):
        outcome = replies._act(None, "help", "+4520000000", [], START, current_settings())  # type: ignore[arg-type]
    text = outcome.reply or ""
    quoted = re.findall(r'["«“]([^"»”]+)["»”]', text)
    assert len(quoted) == 4, text
    # Each quoted word is understood as what the help says it does.
    assert [replies.interpret(word, [language]) for word in quoted] == [
        "yes",
        "no",
        "link",
        "stop",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_change_notices_write_the_weekday_and_month_in_full(session, language):
    when = notice_when(START, language, TZ)
    day = START.astimezone(TZ).date()
    assert format_date(day, "EEEE", locale=language) in when
    assert format_date(day, "MMMM", locale=language) in when
    assert "y" not in full_day_pattern(language) and "2026" not in when
    assert when.endswith("17:00")
    assert notice_when(START, language, TZ) in change_text("cancelled", session, language, TZ)


@pytest.mark.parametrize(
    ("language", "weekday"), [("tr", "Perşembe"), ("so", "Khamiis"), ("uk", "четвер")]
)
def test_the_short_weekdays_of_the_old_notices_are_gone(language, weekday):
    assert notice_when(START, language, TZ).count(weekday) == 1


def _first_letter_script(text: str) -> str:
    letter = next(ch for ch in text if ch.isalpha())
    return unicodedata.name(letter).split()[0]


@pytest.mark.parametrize(("language", "script"), [("ar", "ARABIC"), ("ur", "ARABIC")])
def test_codes_are_isolated_left_to_right_and_texts_start_in_the_readers_script(
    session, language, script
):
    code = texts.code_text("Havehuset", "482913", 15, language)
    assert LRI + "482913" + PDI in code
    assert _first_letter_script(code) == script
    for text, _word in _texts_asking_for_a_word(session, language).values():
        assert _first_letter_script(text) == script


@pytest.mark.parametrize("language", ["da", "en", "tr", "so"])
def test_latin_texts_carry_no_isolates_which_would_cost_a_gsm_text_its_alphabet(language):
    code = texts.code_text("Havehuset", "482913", 15, language)
    assert LRI not in code and "482913" in code


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_the_example_number_of_a_phone_error_reads_left_to_right(app, language):
    from havehus.errors import HavehusError
    from havehus.signup.phones import normalise_phone

    with force_locale(language), pytest.raises(HavehusError) as refused:
        normalise_phone("123", ["DK"])
    assert LRI + "20 12 34 56" + PDI in str(refused.value)


def test_every_text_fits_three_segments_in_every_language_with_a_real_length_link():
    from pathlib import Path

    from havehus.i18n_tools import resident_msgids
    from havehus.translations.catalogue import (
        SMS_LANGUAGES,
        load_catalogue,
        preview,
        sample_values,
        segment_table,
        sms_msgids,
    )

    root = Path(__file__).parents[2]
    msgids = sms_msgids(
        (entry.msgid, [place.rpartition(":")[0] for place in entry.locations])
        for entry in resident_msgids(root)
    )
    assert len(msgids) >= 30
    too_long = []
    for language in SMS_LANGUAGES:
        catalogue = load_catalogue(root / "locales", language)
        values = sample_values(language, catalogue.get("EEEE d MMMM 'at' HH:mm").string or "")
        for msgid in msgids:
            text = catalogue.get(msgid).string or msgid
            if preview(text, values).info.segments > 3:
                too_long.append((language, msgid))
    assert too_long == []
    table = segment_table(root / "locales", msgids)
    assert set(table) == set(SMS_LANGUAGES)
    # Latin-script Danish fits the GSM alphabet: never dearer than UCS-2 Arabic.
    assert table["da"][1] < table["ar"][1]


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_every_text_in_arabic_script_begins_with_a_word_in_it(language):
    """Not a placeholder (an activity's Danish title, a house name): a text that begins with a
    Latin word is laid out left to right on the phone (change notices included)."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    from havehus.i18n_tools import resident_msgids
    from havehus.translations.catalogue import sms_msgids

    msgids = sms_msgids(
        (entry.msgid, [place.rpartition(":")[0] for place in entry.locations])
        for entry in resident_msgids(Path.cwd())
    )
    path = Path("locales") / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    wrong = []
    for msgid in msgids:
        message = catalogue.get(msgid)
        if message is None or not isinstance(message.string, str) or not message.string:
            continue
        bare = re.sub(r"%\(\w+\)[sd]", "", message.string)
        if any(ch.isalpha() for ch in bare) and _first_letter_script(message.string) != "ARABIC":
            wrong.append(msgid)
    assert wrong == []
