"""Days the planner should know about: Danish public holidays, and Ramadan and Eid.

Danish public holidays come from the `holidays` package (computed, exact).

Ramadan and the two Eids follow the sighting of the new moon, so nobody can know their exact
day in advance; communities in Denmark may also start a day apart. The table below is
therefore shown as information only ("approximate, ±1 day"), never as a closure. Its dates
were copied from the Umm al-Qura based tables of the `holidays` package
(holidays/calendars/islamic.py, version 0.109: RAMADAN_BEGINNING_DATES, EID_AL_FITR_DATES,
EID_AL_ADHA_DATES) so that the planner works offline and does not depend on that package's
private module. Extend the table before 2030 (Ramadan then starts twice in one year:
5 January and 26 December 2030).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from flask_babel import lazy_gettext as _l

#: (first day of Ramadan, Eid al-Fitr, Eid al-Adha) per Gregorian year.
ISLAMIC_DATES: dict[int, tuple[date, date, date]] = {
    2026: (date(2026, 2, 18), date(2026, 3, 20), date(2026, 5, 27)),
    2027: (date(2027, 2, 8), date(2027, 3, 9), date(2027, 5, 16)),
    2028: (date(2028, 1, 28), date(2028, 2, 26), date(2028, 5, 5)),
    2029: (date(2029, 1, 16), date(2029, 2, 14), date(2029, 4, 24)),
}
RAMADAN = _l("Ramadan")
EID_AL_FITR = _l("Eid al-Fitr")
EID_AL_ADHA = _l("Eid al-Adha")


@dataclass(frozen=True)
class InfoDay:
    """A day (or the first day of a period) shown on the planner."""

    day: date
    name: str
    approximate: bool
    #: The last day, for a period such as Ramadan.
    until: date | None = None


def danish_holidays(first: date, last: date) -> list[InfoDay]:
    """Danish public holidays on days first..last, with their Danish names."""
    years = range(first.year, last.year + 1)
    found = holidays.country_holidays("DK", years=years, language="da")
    return sorted(
        (
            InfoDay(day, str(name), approximate=False)
            for day, name in found.items()
            if first <= day <= last
        ),
        key=lambda info: info.day,
    )


def islamic_dates(first: date, last: date) -> list[InfoDay]:
    """Ramadan (as a period) and the two Eids that touch days first..last."""
    result = []
    for year in range(first.year - 1, last.year + 1):
        if year not in ISLAMIC_DATES:
            continue
        ramadan, fitr, adha = ISLAMIC_DATES[year]
        ramadan_end = fitr - timedelta(days=1)
        if ramadan <= last and ramadan_end >= first:
            result.append(InfoDay(ramadan, str(RAMADAN), approximate=True, until=ramadan_end))
        for day, name in ((fitr, EID_AL_FITR), (adha, EID_AL_ADHA)):
            if first <= day <= last:
                result.append(InfoDay(day, str(name), approximate=True))
    return sorted(result, key=lambda info: info.day)
