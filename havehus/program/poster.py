"""The printable week poster: a PDF (WeasyPrint) with pictograms, times and QR codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import segno
from flask import render_template
from flask_babel import force_locale

from havehus.i18n import default_language
from havehus.paths import STATIC_DIR
from havehus.program.services import ProgramDay

PAPER_SIZES = ("A4", "A3")


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI, dark on white, with a quiet zone for phone cameras."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


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
    activity_url: dict[str, str],
) -> bytes:
    """The week as a PDF poster; titles in every ticked language, labels in the first."""
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
            activity_qr={slug: qr_data_uri(url) for slug, url in activity_url.items()},
        )
    # Pictograms and the stylesheet are read from the static folder, not over HTTP.
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()
