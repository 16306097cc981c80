"""The upload form of /staff/reports/import (one per kind of file)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from havehus.webforms import Form


class ImportForm(Form):
    """A CSV file to import; the service checks what is in it."""

    file = FileField(
        _l("CSV file (UTF-8, comma or semicolon)"),
        validators=[FileRequired(_l("Choose the file to import."))],
    )
