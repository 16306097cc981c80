"""Form validators whose messages are in our catalogues (WTForms ships no Danish)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length


def required(message: str | None = None) -> DataRequired:
    return DataRequired(message=message or _l("Please fill this in."))


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters."))
