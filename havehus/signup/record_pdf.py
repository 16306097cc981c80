"""A person's record (my_record.record) as a readable PDF in their language (WeasyPrint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from havehus.paths import STATIC_DIR
from havehus.program.labels import language_name
from havehus.signup.forms import CHANNEL_LABELS

#: What a booking's status says to the person (not the code).
STATUS_WORDS = {
    "confirmed": _l("Booked"),
    "offered": _l("Seat offered to you"),
    "waitlisted": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "attended": _l("Came"),
    "no_show": _l("Did not come"),
}
#: What each consent said when it was given, in the words of the form.
CONSENT_WORDS = {
    "sms": _l("Yes, text me a reminder."),
    "health": _l("Yes, you may register that I have booked this appointment."),
    "marketing": _l("News from the house by text"),
}


def _words(table: dict[str, Any], code: str | None) -> str:
    return str(table[code]) if code in table else (code or "–")


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def render(data: dict[str, Any], language: str) -> bytes:
    """The record, headed and labelled in `language`; what the person wrote stays as written."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    with force_locale(language):
        html = render_template(
            "signup/record_pdf.html",
            record=data,
            at=_moment,
            status_word=lambda code: _words(STATUS_WORDS, code),
            consent_word=lambda code: _words(CONSENT_WORDS, code),
            channel_word=lambda code: _words(CHANNEL_LABELS, code),
            language_name=language_name,
        )
    return bytes(HTML(string=html, base_url=str(STATIC_DIR)).write_pdf())
