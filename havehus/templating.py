"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import urlencode

from babel.dates import format_skeleton
from flask import Flask, current_app, request, url_for
from flask_babel import format_date, get_locale
from markupsafe import Markup

from havehus import i18n
from havehus.config import Settings, current_settings
from havehus.program.labels import CATEGORY_LABELS, language_name
from havehus.timeutil import house_tz, iso_week_label

_STATIC_URLS = "havehus.static_urls"


def local_time(moment: datetime) -> str:
    """HH:MM in the house's time zone (24-hour clock; the same digits in every language, as
    Babel's "HH:mm" gives, without its pattern parsing on each of a page's many times)."""
    return moment.astimezone(house_tz()).strftime("%H:%M")


def static_url(filename: str) -> str:
    """A static file's address (url_for('static', ...)), made once per file and mount point."""
    key = (request.script_root, filename)
    known: dict[tuple[str, str], str] = current_app.extensions.setdefault(_STATIC_URLS, {})
    address = known.get(key)
    if address is None:
        address = known[key] = url_for("static", filename=filename)
    return address


#: Weekday-and-date patterns with the weekday written out (CLDR's skeletons abbreviate it in
#: several languages, and a reader who reads little recognises the whole word more easily).
_DAY_PATTERNS = {
    "da": "EEEE d. MMMM",
    "en": "EEEE d MMMM",
    "ar": "EEEE، d MMMM",
    "tr": "d MMMM EEEE",
    "so": "EEEE, MMMM d",
    "ur": "EEEE، d MMMM",
    "uk": "EEEE, d MMMM",
}


def day_label(day: date) -> str:
    """A weekday with its date, e.g. "mandag 1. december" / "Monday 1 December"."""
    locale = get_locale()
    pattern = _DAY_PATTERNS.get(locale.language if locale else "da")
    if pattern:
        return format_date(day, pattern)
    return format_skeleton("MMMMEEEEd", day, locale=locale)


def local_iso(moment: datetime) -> str:
    """ISO 8601 with the house's offset, for <time datetime>."""
    return moment.astimezone(house_tz()).isoformat(timespec="minutes")


def long_date(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(house_tz()).date()
    return format_date(day, "full")


def iso_week(moment: datetime) -> str:
    """YYYY-Www of the local day of an instant."""
    return iso_week_label(moment.astimezone(house_tz()).date())


def translated(texts: dict[str, str] | None) -> str:
    """The text of a data field (activity titles...) in the page's language."""
    return i18n.pick(texts, i18n.current_language().code, i18n.default_language())


def isolate(value: str | Mapping[str, str] | None) -> Markup:
    """Typed text (a title, a reason, a place) in <bdi>, isolated from the page's direction."""
    # Without it the bidirectional algorithm reorders Danish text in an Arabic page (or an
    # Arabic name in a Danish one) together with its neighbours: "Stormvarsel – vi går igen på
    # fredag." shows its dashes and full stop on the wrong side. Texts per language are picked
    # as `translated` picks them; one shown in another language carries that `lang`, so that a
    # screen reader reads it in that language.
    if isinstance(value, Mapping):
        page = i18n.current_language().code
        code = next(
            (c for c in (page, i18n.default_language(), *value) if value.get(c)),
            page,
        )
        text = value.get(code) or ""
        if text and code != page:
            return Markup('<bdi lang="{}">{}</bdi>').format(code, text)
    else:
        text = value or ""
    return Markup("<bdi>{}</bdi>").format(text) if text else Markup("")


def url_for_language(code: str) -> str:
    """The current page in another language."""
    args = request.args.copy()
    args["lang"] = code
    return f"{request.path}?{urlencode(list(args.items(multi=True)))}"


def language_list(codes: list[str]) -> str:
    """Languages named in the page's language and joined its way ("dansk og arabisk")."""
    from babel.lists import format_list

    names = [language_name(code) for code in codes]
    return format_list(names, locale=i18n.current_language().code) if names else ""


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(language_name)
    app.add_template_filter(language_list)
    app.add_template_global(category_label)
    app.add_template_filter(local_time)
    app.add_template_global(static_url)
    app.add_template_filter(day_label)
    app.add_template_filter(long_date)
    app.add_template_filter(translated)
    app.add_template_filter(isolate)
    app.add_template_filter(iso_week)
    app.add_template_filter(local_iso)
    app.add_template_global(url_for_language)
    app.add_template_global(i18n.offered_languages)
    app.add_template_global(i18n.switch_languages)
    app.add_template_global(i18n.current_language)
    app.add_template_global(i18n.KNOWN_LANGUAGES.get, "known_language")

    @app.context_processor
    def _settings() -> dict[str, Settings]:
        return {"settings": current_settings()}
