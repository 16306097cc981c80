"""How texts name an activity and a moment, in a person's language and the house's zone.

Sign-up texts, change notices and reply answers all say it the same way; a sensitive activity
is named by the neutral wording the manager chose, never by its public title.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from havehus.i18n import KNOWN_LANGUAGES, pick
from havehus.models import Activity, Session

#: Weekday and date in a change text, where CLDR's skeleton would abbreviate the weekday.
_NOTICE_DAY_PATTERNS = {"da": "EEEE 'den' d. MMMM", "en": "EEEE d MMMM"}


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
    pattern = _NOTICE_DAY_PATTERNS.get(locale)
    if pattern:
        day = format_date(local.date(), pattern, locale=locale)
    else:
        day = format_skeleton("MMMMEEEEd", local, locale=locale)
    return f"{day} {local:%H:%M}"
