"""The base of every form of the app: what any field of a kind may hold, said once.

Every form derives from `Form` (a test checks it), which adds to each field, by its kind:

- text (one line: StringField and its kinds, e.g. e-mail, password, hidden): no control
  characters at all — a line break in a title would end a calendar line, a NUL is refused
  by PostgreSQL; a text area keeps its line breaks and tabs, but no other control character;
- whole numbers (IntegerField, and choices coerced to int): only numbers an integer column
  can hold;
- dates (DateField): only days in the house's calendar (`havehus.timeutil.FIRST_DAY`…).

And a form is read from a submitted HTML form only, never from a JSON body: browsers do not
send JSON, and the API has its own strict shapes (`havehus.api.shapes`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import CombinedMultiDict
from wtforms import DateField, Field, IntegerField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import NumberRange, ValidationError

from havehus.dbutil import INT32_MAX, INT32_MIN, db_int
from havehus.timeutil import FIRST_DAY, LAST_DAY, in_calendar

# C0 and C1 control characters; a text area keeps tab, line feed and carriage return.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class NoControlCharacters:
    """A text field holds no control characters (a text area may hold line breaks and tabs)."""

    def __init__(self, multiline: bool) -> None:
        self.pattern = _CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE

    def __call__(self, form: FlaskForm, field: Field) -> None:
        values = field.raw_data or []
        if any(isinstance(value, str) and self.pattern.search(value) for value in values):
            raise ValidationError(_l("Must not contain control characters."))


class InCalendar:
    """A date field's day lies within the house's calendar."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data is not None and not in_calendar(field.data):
            raise ValidationError(
                _l(
                    "Choose a day between %(first)s and %(last)s.",
                    first=format_date(FIRST_DAY),
                    last=format_date(LAST_DAY),
                )
            )


def _checks(field: Field) -> list[Any]:
    """The checks a field gets for its kind, run before its own."""
    if isinstance(field, TextAreaField):
        return [NoControlCharacters(multiline=True)]
    if isinstance(field, StringField):
        return [NoControlCharacters(multiline=False)]
    if isinstance(field, IntegerField):
        return [NumberRange(INT32_MIN, INT32_MAX, _l("Use a number up to %(max)d."))]
    if isinstance(field, DateField):
        return [InCalendar()]
    return []


class Form(FlaskForm):
    """A form of the app: see the module's docstring for what every field gets."""

    class Meta(FlaskForm.Meta):
        def bind_field(
            self, form: DefaultMeta, unbound_field: Any, options: dict[str, Any]
        ) -> Field:
            if unbound_field.kwargs.get("coerce") is int:
                options = {**options, "coerce": db_int}
            field: Field = unbound_field.bind(form=form, **options)
            field.validators = [*_checks(field), *field.validators]
            return field

        def wrap_formdata(self, form: DefaultMeta, formdata: Any) -> Any:
            if formdata is not _Auto:
                return formdata
            if not _is_submitted():
                return None
            if request.files:
                return CombinedMultiDict((request.files, request.form))
            return request.form or None
