"""Forms of the feeds' staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from havehus.validators import max_length, required
from havehus.webforms import Form


class PartnerFeedForm(Form):
    name = StringField(_l("Name (e.g. Social Sundhed)"), validators=[required(), max_length(120)])
    partner = SelectField(_l("Partner user who sees the address"), coerce=int, default=0)
    language = SelectField(_l("Language of the calendar"))
    categories = SelectMultipleField(
        _l("Only these kinds of activity (none ticked: all)"),
        validators=[Optional()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
