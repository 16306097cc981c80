"""What staff print for the wall (WeasyPrint PDFs with pictograms, times and QR codes): the
week poster, and one session's check-in sign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import segno
from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from havehus.config import Settings
from havehus.i18n import KNOWN_LANGUAGES, default_language
from havehus.models import Mode, Session, SessionStatus
from havehus.paths import STATIC_DIR
from havehus.program.check_in_link import check_in_url
from havehus.program.services import ProgramDay

PAPER_SIZES = ("A4", "A3")


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI, dark on white, with a quiet zone for phone cameras."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def entry_urls(days: Sequence[ProgramDay], settings: Settings) -> dict[int, str]:
    """What each poster entry's QR code opens, by the id of the entry's first session: the
    session's check-in page (before the day it leads on to the session and its sign-up); for
    a day of time slots, the activity's page. A cancelled entry gets none."""
    urls = {}
    for day in days:
        for entry in day.entries:
            if entry.first.status == SessionStatus.CANCELLED:
                continue
            if not entry.is_slots:
                urls[entry.first.id] = check_in_url(entry.first.id, settings)
            elif entry.activity.mode != Mode.DROP_IN:
                urls[entry.first.id] = settings.public_link(
                    url_for("program.activity", slug=entry.activity.slug)
                )
    return urls


def poster_titles(
    titles: Mapping[str, str], languages: Sequence[str], fallback: str
) -> list[tuple[str, str]]:
    """The (language, title) lines printed for one activity: the lead title, then the others."""
    # As on the web page, an activity without a title in the poster's language is printed with
    # the fallback (Danish) title rather than with none.
    lead = next(
        ((code, titles[code]) for code in (languages[0], fallback) if titles.get(code)),
        next(((code, text) for code, text in titles.items() if text), None),
    )
    lines = [lead] if lead else []
    for code in languages[1:]:
        text = titles.get(code)
        if text and all(text != shown for _code, shown in lines):
            lines.append((code, text))
    return lines


def render_poster(
    days: Sequence[ProgramDay],
    monday: date,
    languages: Sequence[str],
    size: str,
    week_url: str,
    entry_url: dict[int, str],
) -> bytes:
    """The week as a PDF poster; titles in every ticked language, labels in the first.

    `entry_url` is what each entry's QR code opens, by the id of the entry's first session:
    the session's check-in page (program.check_in_link), or for a day of time slots the
    activity's page.
    """
    from weasyprint import HTML  # imported here: loading pango takes a moment

    fallback = default_language()
    with force_locale(languages[0]):
        html = render_template(
            "program/planner/poster.html",
            days=[day for day in days if day.entries],
            monday=monday,
            languages=languages,
            title_lines=lambda titles: poster_titles(titles, languages, fallback),
            size=size,
            week_qr=qr_data_uri(week_url),
            week_url=week_url,
            entry_qr={session_id: qr_data_uri(url) for session_id, url in entry_url.items()},
        )
    # Pictograms and the stylesheet are read from the static folder, not over HTTP.
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()


def sign_calls(languages: Sequence[str]) -> list[tuple[str, str, str]]:
    """The sign's call to scan, once in each language: (code, direction, text)."""
    calls = []
    for code in languages:
        known = KNOWN_LANGUAGES.get(code)
        with force_locale(code):
            text = _("Say you are here: scan the code with your phone's camera.")
        calls.append((code, known.direction if known else "ltr", text))
    return calls


def render_sign(session: Session, languages: Sequence[str], check_in_url: str) -> bytes:
    """One session's check-in sign as an A4 PDF: its title, time, a big QR code that opens
    the session's check-in page, and the call to scan in every ticked language."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    fallback = default_language()
    with force_locale(languages[0]):
        html = render_template(
            "program/planner/session_sign.html",
            session=session,
            languages=languages,
            title_lines=poster_titles(session.activity.title, languages, fallback),
            calls=sign_calls(languages),
            qr=segno.make(check_in_url, error="m").svg_data_uri(scale=8, border=2),
        )
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()
