"""The form of the contacts page: a known person or a count, the channel, the activity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from havehus.attendance.outreach import ContactData
from havehus.models import Activity
from havehus.signup.forms import CHANNEL_LABELS
from havehus.validators import max_length
from havehus.webforms import Form


def _number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


class ContactForm(Form):
    #: A fresh key each time the page is shown: a retried post records nothing more.
    key = HiddenField()
    participant_id = HiddenField()
    count = StringField(
        _l("How many people?"),
        default="1",
        validators=[Optional(), max_length(4)],
        render_kw={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off", "size": 4},
    )
    channel = SelectField(
        _l("How were they reached?"),
        choices=[SelectChoice(key, label) for key, label in CHANNEL_LABELS.items()],
        default="drop-in",
        validate_choice=False,  # the service refuses an unknown channel, in our words
    )
    activity = SelectField(_l("About an activity (optional)"), validate_choice=False)

    def offer(self, activities: list[Activity], names: dict[int, str]) -> None:
        """The activities to choose from, named in the page's language."""
        self.activity.choices = [SelectChoice("", _l("No activity in particular"))] + [
            SelectChoice(str(activity.id), names[activity.id]) for activity in activities
        ]

    def contact(self) -> ContactData:
        """What the host recorded, for the service (which checks every value)."""
        person = _number(self.participant_id.data)
        count = _number(self.count.data)
        return ContactData(
            channel=self.channel.data or "",
            participant_id=person,
            count=0 if count is None else count,
            activity_id=_number(self.activity.data),
        )
