"""The printable week poster: a PDF (WeasyPrint) with pictograms, times and QR codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import segno
from flask import render_template
from flask_babel import force_locale

from havehus.paths import STATIC_DIR
from havehus.program.services import ProgramDay

PAPER_SIZES = ("A4", "A3")


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI, dark on white, with a quiet zone for phone cameras."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


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

    with force_locale(languages[0]):
        html = render_template(
            "planner/poster.html",
            days=[day for day in days if day.entries],
            monday=monday,
            languages=languages,
            size=size,
            week_qr=qr_data_uri(week_url),
            week_url=week_url,
            activity_qr={slug: qr_data_uri(url) for slug, url in activity_url.items()},
        )
    # Pictograms and the stylesheet are read from the static folder, not over HTTP.
    return HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()
