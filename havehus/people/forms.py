"""Forms of the staff area (sign-in, account, users, tokens, devices, audit filter)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, Optional

from havehus.validators import max_length, required
from havehus.webforms import Form

ROLE_LABELS = {
    "manager": _l("Manager"),
    "host": _l("Host"),
    "partner": _l("Partner"),
    "admin": _l("Administrator"),
}


def role_choices(allowed: tuple[str, ...] | None = None) -> list[SelectChoice]:
    return [
        SelectChoice(role, label)
        for role, label in ROLE_LABELS.items()
        if allowed is None or role in allowed
    ]


class LoginForm(Form):
    email = EmailField(
        _l("E-mail"),
        validators=[required(), max_length(254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[required(), max_length(200)],
        render_kw={"autocomplete": "current-password"},
    )


class SecondFactorForm(Form):
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[required(), max_length(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class TotpSetupForm(Form):
    code = StringField(
        _l("Code from your app"),
        validators=[required(), max_length(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password (at least 12 characters)"),
        validators=[required(), max_length(200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("The new password again"),
        validators=[required(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[required()],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


class InviteForm(Form):
    email = EmailField(_l("E-mail"), validators=[required(), max_length(254)])
    name = StringField(_l("Name"), validators=[Optional(), max_length(120)])
    role = SelectField(_l("Role"), choices=role_choices(), default="host")


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices())


class TokenForm(Form):
    name = StringField(
        _l("Name (who uses it, e.g. Social Sundhed)"),
        validators=[required(), max_length(120)],
    )
    role = SelectField(_l("Role"), choices=role_choices(), default="partner")


class DeviceForm(Form):
    name = StringField(
        _l("Name of this tablet (e.g. Tablet in the hall)"),
        validators=[required(), max_length(120)],
    )
    location = SelectField(_l("Location"), coerce=int, validate_choice=True)


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = StringField(_l("Action starts with"), validators=[Optional(), max_length(60)])
    actor = SelectField(_l("Who"), coerce=int, default=0, validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
