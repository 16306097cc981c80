"""The forms of host mode: add someone who came, a note for the session."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from havehus.attendance.services import NOTE_LENGTH
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.i18n import current_language
from havehus.signup.forms import CHANNEL_LABELS
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person
from havehus.validators import max_length
from havehus.webforms import Form


class AddPersonForm(Form):
    """Someone who came: found by the search (participant_id), or new — a first name is enough."""

    participant_id = IntegerField(validators=[Optional()], widget=HiddenInput())
    name = StringField(_l("First name"), validators=[Optional(), max_length(120)])
    phone = TelField(
        _l("Mobile number (optional)"),
        validators=[Optional(), max_length(30)],
        render_kw={"inputmode": "tel", "dir": "ltr", "autocomplete": "off"},
    )
    channel = SelectField(
        _l("How did the person find us?"),
        choices=[SelectChoice(key, label) for key, label in CHANNEL_LABELS.items()],
        default="drop-in",
    )

    def person(self) -> Person:
        """Who the host added, for the sign-up service's identification."""
        if not self.participant_id.data and not (self.name.data or "").strip():
            raise HavehusError(_("Write the person's first name."), "invalid_name")
        regions = current_settings().phone_regions
        phone = normalise_phone(self.phone.data, regions) if self.phone.data else None
        return Person(
            name=self.name.data or "",
            phone=phone,
            language=current_language().code,
            channel=self.channel.data,
            participant_id=self.participant_id.data,
        )


class NoteForm(Form):
    note = TextAreaField(
        _l("A note about the session (no names)"),
        validators=[Optional(), max_length(NOTE_LENGTH)],
        render_kw={"rows": 3},
    )


class CheckInForm(Form):
    """The QR check-in page: "I am here" as it is, or with the number the person signed up with."""

    phone = TelField(
        _l("Your mobile number"),
        validators=[Optional(), max_length(30)],
        render_kw={"inputmode": "tel", "dir": "ltr", "autocomplete": "tel"},
    )


class PulseForm(Form):
    """Only the CSRF token: each face is a button with its own value."""
