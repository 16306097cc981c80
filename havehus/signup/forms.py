"""Forms residents fill in to sign up, confirm with a code, or cancel."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from havehus.errors import HavehusError
from havehus.i18n import offered_languages
from havehus.models.signup import MAX_GUESTS
from havehus.signup.phones import normalise_phone
from havehus.signup.sign_up import Person, SignUp
from havehus.validators import max_length, required
from havehus.webforms import Form


def guest_choices() -> list[SelectChoice]:
    """ "Only me", "Me and 1 more", … up to the most one booking may bring."""
    return [SelectChoice(0, _("Only me"))] + [
        SelectChoice(count, ngettext("Me and %(num)d more", "Me and %(num)d more", count))
        for count in range(1, MAX_GUESTS + 1)
    ]


def posted_guests(raw: object) -> int:
    """The number of guests a form posted; -1 (refused by the sign-up) when it is no number."""
    text = str(raw or "0").strip()
    return int(text) if text.isdigit() and len(text) <= 2 else -1


class SignupForm(Form):
    name = StringField(
        _l("Your first name"),
        validators=[required(_l("Write your first name.")), max_length(120)],
        render_kw={"autocomplete": "given-name"},
    )
    phone = TelField(
        _l("Your mobile number"),
        validators=[required(_l("Write your mobile number.")), max_length(30)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "dir": "ltr"},
    )
    language = SelectField(_l("Language of the text messages"))
    sms_consent = BooleanField(_l("Yes, text me a reminder."))
    health_consent = BooleanField(_l("Yes, you may register that I have booked this appointment."))
    wants_company = BooleanField(_l("I would like someone to come with me."))
    guests = SelectField(
        _l("How many of you are coming?"), coerce=posted_guests, default=0, validate_choice=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(lang.code, lang.native_name) for lang in offered_languages()
        ]
        self.guests.choices = guest_choices()


class RemindForm(Form):
    """ "Remind me" for a drop-in session: a text before it, no seat."""

    name = SignupForm.name
    phone = SignupForm.phone
    language = SelectField(_l("Language of the text messages"))
    sms_consent = BooleanField(_l("Yes, text me a reminder."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(lang.code, lang.native_name) for lang in offered_languages()
        ]


class CodeForm(Form):
    code = StringField(
        _l("The code from the text message"),
        validators=[required(_l("Write the code.")), max_length(12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"},
    )


CHANNEL_LABELS = {
    "drop-in": _l("Came by the house"),
    "sundhedsformidler": _l("Health communicator"),
    "social-henvisning": _l("Social prescribing (GP)"),
    "housing-staff": _l("Housing staff"),
    "friend": _l("Friend or family"),
    "other": _l("Other"),
}


class StaffBookingForm(Form):
    """Sign someone up on their behalf: an existing participant, or a new one."""

    participant_id = IntegerField(validators=[Optional()], widget=HiddenInput())
    name = StringField(_l("First name"), validators=[Optional(), max_length(120)])
    phone = TelField(
        _l("Mobile number (optional)"),
        validators=[Optional(), max_length(30)],
        render_kw={"inputmode": "tel", "dir": "ltr"},
    )
    language = SelectField(_l("Language of the text messages"))
    channel = SelectField(
        _l("How did the person find us?"),
        choices=[SelectChoice(key, label) for key, label in CHANNEL_LABELS.items()],
        default="drop-in",
    )
    sms_consent = BooleanField(
        _l("The person agrees to get text messages (you record it for them)")
    )
    health_consent = BooleanField(
        _l("The person agrees that this appointment is registered (you record it for them)")
    )
    wants_company = BooleanField(_l("Wants someone to come along (følgeskab)"))
    guests = SelectField(
        _l("How many are coming?"), coerce=posted_guests, default=0, validate_choice=False
    )
    companion = SelectField(_l("Companion"), coerce=int, default=0, validate_choice=False)
    staff_note = TextAreaField(_l("Note for staff only"), validators=[Optional(), max_length(1000)])
    overbook = BooleanField(_l("Yes, give a seat even though it is full"))

    def __init__(
        self, *args: object, companions: Sequence[tuple[int, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(lang.code, lang.native_name) for lang in offered_languages()
        ]
        self.guests.choices = guest_choices()
        self.companion.choices = [SelectChoice("0", _l("Nobody yet"))] + [
            SelectChoice(str(user_id), name) for user_id, name in companions
        ]

    def sign_up_request(self, regions: Sequence[str]) -> SignUp:
        """What the host filled in, as a sign-up on the person's behalf."""
        if not self.participant_id.data and not (self.name.data or "").strip():
            raise HavehusError(_("Write the person's first name."), "invalid_name")
        phone = normalise_phone(self.phone.data, regions) if self.phone.data else None
        return SignUp(
            person=Person(
                name=self.name.data or "",
                phone=phone,
                language=self.language.data,
                channel=self.channel.data,
                participant_id=self.participant_id.data,
            ),
            source="staff",
            sms_consent=self.sms_consent.data,
            health_consent=self.health_consent.data,
            wants_company=self.wants_company.data,
            guests=self.guests.data,
            overbook=self.overbook.data,
            companion_id=self.companion.data or None,
            staff_note=self.staff_note.data or "",
        )


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        _l("Find a person: name or last 4 digits of the phone"),
        validators=[Optional(), max_length(60)],
    )
