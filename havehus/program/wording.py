"""How texts name an activity and a moment, in a person's language and the house's zone.

Sign-up texts, change notices and reply answers all say it the same way; a sensitive activity
is named by the neutral wording the manager chose, never by its public title.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from havehus.i18n import KNOWN_LANGUAGES, pick
from havehus.models import Activity, Session

#: The year in a CLDR date pattern, with the separator before it and a word after it ("р.").
_YEAR = re.compile(r"[\s,،]*y+(?:[\s\u202f]*'[^']*'\.?)?")


@cache
def full_day_pattern(language: str) -> str:
    """CLDR's full date pattern of the language without the year: the whole weekday and month.

    E.g. "EEEE 'den' d. MMMM" (da), "d MMMM EEEE" (tr), "EEEE, d MMMM" (uk): CLDR's skeletons
    would abbreviate the weekday ("Per", "Khms", "чт").
    """
    try:
        # The language as written in Denmark where CLDR knows it (English: "Tuesday, 10 March").
        locale = Locale.parse(f"{language}_DK")
    except UnknownLocaleError:
        locale = Locale.parse(language)
    return _YEAR.sub("", locale.date_formats["full"].pattern).strip()


def activity_name(activity: Activity, language: str) -> str:
    """What a text calls the activity: the neutral wording for a sensitive one."""
    if activity.sensitive and activity.neutral_title:
        return pick(activity.neutral_title, language)
    return pick(activity.title, language)


def when_text(session: Session, language: str) -> str:
    """E.g. "torsdag 3. december kl. 17:00" in the person's language and the house's zone."""
    with force_locale(language):
        return format_datetime(session.starts_at, _("EEEE d MMMM 'at' HH:mm"))


def notice_title(activity: Activity, language: str) -> str:
    """The activity's name in a change text: the neutral wording for a sensitive one."""
    names = activity.neutral_title if activity.sensitive else activity.title
    return pick(names, language) or pick(activity.title, language)


def notice_when(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """E.g. "tirsdag den 10. marts 10:00" / "Tuesday 10 March 10:00", in local time."""
    local = moment.astimezone(tz)
    locale = language if language in KNOWN_LANGUAGES else "da"
    day = format_date(local.date(), full_day_pattern(locale), locale=locale)
    return f"{day} {local:%H:%M}"
