"""The forms of the review pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Optional

from havehus.validators import max_length, required
from havehus.webforms import Form


class ReviewForm(Form):
    language = HiddenField(validators=[required(), max_length(10)])
    msgid = HiddenField(validators=[required(), max_length(4000)])
    verdict = RadioField(
        _l("This text"),
        choices=[
            SelectChoice("reviewed", _l("reads well (reviewed by a native speaker)")),
            SelectChoice("needs-change", _l("needs a change")),
        ],
        validators=[required()],
    )
    suggestion = TextAreaField(_l("How it should read"), validators=[Optional(), max_length(2000)])
