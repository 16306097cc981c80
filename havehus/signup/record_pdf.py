"""A person's record (my_record.record) as a readable PDF in their language (WeasyPrint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale

from havehus.paths import STATIC_DIR


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def render(data: dict[str, Any], language: str) -> bytes:
    """The record, headed and labelled in `language`; what the person wrote stays as written."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    with force_locale(language):
        html = render_template("signup/record_pdf.html", record=data, at=_moment)
    return bytes(HTML(string=html, base_url=str(STATIC_DIR)).write_pdf())
