"""Languages: which are offered, how the page's language is chosen, translated data fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask, Response, g, request
from flask_babel import get_locale

from havehus.config import current_settings
from havehus.staff_area import speaks_two_languages


@dataclass(frozen=True)
class Language:
    code: str
    #: The language's name written in itself, for the language switch.
    native_name: str
    direction: str = "ltr"


#: Every language havehus knows; config `languages` picks those offered.
KNOWN_LANGUAGES = {
    lang.code: lang
    for lang in (
        Language("da", "Dansk"),
        Language("en", "English"),
        Language("ar", "العربية", "rtl"),
        Language("tr", "Türkçe"),
        Language("so", "Soomaali"),
        Language("ur", "اردو", "rtl"),
        Language("uk", "Українська"),
    )
}
#: Left-to-right isolate and its end (U+2066, U+2069): a number or a code inside right-to-left
#: text keeps its order ("20 12 34 56", not "56 34 12 20").
LRI, PDI = "\u2066", "\u2069"


def left_to_right(text: str, language: str) -> str:
    """A number or a code for a text in `language`: isolated left to right in Arabic and Urdu.

    Only there: the isolates are not GSM-7 characters, so a Danish text would cost more.
    """
    known = KNOWN_LANGUAGES.get(language)
    if known is not None and known.direction == "rtl":
        return LRI + text + PDI
    return text


def left_to_right_here(text: str) -> str:
    """A number or a code isolated left to right if the current language is right to left."""
    locale = get_locale()
    return left_to_right(text, locale.language if locale else "da")


LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

#: Staff pages (/staff/..., /host) are written and kept in Danish and English only.
STAFF_LANGUAGES = ("da", "en")
#: What a staff page shows to someone who chose another language: for a reader of Arabic or
#: Somali, English is likelier to be readable than Danish.
STAFF_FALLBACK = "en"


def offered_languages() -> list[Language]:
    """The languages of the switch, in configured order."""
    return [KNOWN_LANGUAGES[code] for code in current_settings().languages]


def default_language() -> str:
    return str(current_settings().languages[0])


def _choosable() -> list[str]:
    """The codes this page may speak: the offered ones, and on staff pages Danish and English."""
    codes = list(current_settings().languages)
    if request and is_staff_page():
        codes += [code for code in STAFF_LANGUAGES if code not in codes]
    return codes


def _offered(code: str | None) -> str | None:
    if code and code in _choosable():
        return code
    return None


def is_staff_page() -> bool:
    """True while serving a staff page that speaks Danish or English only (not host mode)."""
    return speaks_two_languages(request.path)


def select_locale() -> str:
    """?lang= → cookie → the participant's saved language → Accept-Language → default.

    On staff pages a choice other than Danish or English gives English.
    """
    if not request:
        return default_language()
    offered = list(current_settings().languages)
    staff = is_staff_page()
    choosable = offered + [c for c in STAFF_LANGUAGES if c not in offered] if staff else offered
    environ = request.environ
    # Each step only when the request has what it reads (most have no query and no cookie).
    candidates = (
        request.args.get("lang") if environ.get("QUERY_STRING") else None,
        request.cookies.get(LANG_COOKIE) if "HTTP_COOKIE" in environ else None,
        g.get("participant_language"),
    )
    chosen = next((code for code in candidates if code and code in choosable), None)
    if chosen is None and "HTTP_ACCEPT_LANGUAGE" in environ:
        chosen = request.accept_languages.best_match(choosable)
    chosen = chosen or offered[0]
    if staff and chosen not in STAFF_LANGUAGES:
        return STAFF_FALLBACK
    return chosen


def use_participant_language(code: str | None) -> None:
    """Let this request's page speak a known person's saved language (third in the chain)."""
    from flask_babel import refresh

    g.participant_language = code
    # The locale may have been looked up already (an error message, a before_request hook).
    refresh()


def switch_languages() -> list[Language]:
    """The languages of the switch on this page: staff pages offer Danish and English only."""
    if request and is_staff_page():
        return [KNOWN_LANGUAGES[code] for code in STAFF_LANGUAGES]
    return offered_languages()


def current_language() -> Language:
    from flask_babel import get_locale

    locale = get_locale()
    code = locale.language if locale else default_language()
    return KNOWN_LANGUAGES.get(code, KNOWN_LANGUAGES["da"])


def pick(texts: Mapping[str, str] | None, lang: str, fallback: str = "da") -> str:
    """The text in lang, else in the fallback language, else any text there is."""
    if not texts:
        return ""
    return texts.get(lang) or texts.get(fallback) or next(iter(texts.values()), "")


def remember_language(response: Response) -> Response:
    """Keep a language chosen with ?lang= in a cookie, so the choice sticks."""
    # Only pages: a calendar feed or JSON asked for in a language is not a choice for the
    # pages, and a cookie would stop shared caches from keeping a public feed.
    if response.mimetype != "text/html":
        return response
    chosen = _offered(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_settings().production,
        )
    return response


def init_app(app: Flask) -> None:
    app.after_request(remember_language)
