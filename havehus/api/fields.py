"""The API's strict field types, and a request read into a model with one message per bad
field.

Each type carries what to tell the caller when a value is wrong (`Says`); pydantic's own
English messages never reach a partner. Values are never coerced: "yes" is not a boolean,
"5" is not a number, and a list is not a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, TypeAlias, TypeVar, get_args

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError, core_schema

from havehus.dbutil import INT32_MAX, INT32_MIN
from havehus.errors import HavehusError
from havehus.timeutil import FIRST_DAY, LAST_DAY, in_calendar

#: The field name under which a body that is not a JSON object is reported.
BODY = "body"

# C0 and C1 control characters; text that may span lines keeps tab, line feed and return.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Says:
    """What a caller reads when a field of this type is wrong (and, if different, missing)."""

    text: Any  # a lazy gettext string, translated when the error is answered
    missing: Any = None


@dataclass(frozen=True)
class OneOf:
    """A text that must be one of `values` (an enum in the OpenAPI document)."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.values))


def rule_broken(message: str) -> PydanticCustomError:
    """A validator's error whose (already translated) message is shown as it is."""
    return PydanticCustomError("havehus", "{message}", {"message": message})


def _refuse_control(pattern: re.Pattern[str]) -> Any:
    def check(text: str) -> str:
        if pattern.search(text):
            raise PydanticCustomError("control_characters", "Control characters are not allowed")
        return text

    return AfterValidator(check)


def _refuse_null(value: None) -> None:
    raise PydanticCustomError("null", "May be left out, but not null")


def _empty_is_left_out(value: Any) -> Any:
    return None if value == "" else value


def _from_iso(parse: Any) -> BeforeValidator:
    """Read a text as Python's fromisoformat always did here; anything but a text is refused."""

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the strict date/time check refuses it
        try:
            return parse(value)
        except ValueError:
            raise PydanticCustomError("iso_format", "Not in ISO 8601 form") from None

    return BeforeValidator(read)


def _in_calendar(value: date) -> date:
    if not in_calendar(value):
        first, last = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
        raise rule_broken(_("Choose a day between %(first)s and %(last)s.", first=first, last=last))
    return value


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise PydanticCustomError("time_zone", "A local time has no offset")
    return value


def _danish_if_plain(value: Any) -> Any:
    return {"da": value} if isinstance(value, str) else value


T = TypeVar("T")
#: A field that may be left out (keeping its value) but, when sent, is never null: None is
#: only its default. (Not a before-validator: that would read "2026-03-04" as Python, not JSON.)
Omittable: TypeAlias = T | SkipJsonSchema[Annotated[None, AfterValidator(_refuse_null)]]

#: An empty text counts as left out (a form-like client sends "" for "nothing").
EMPTY_IS_LEFT_OUT = BeforeValidator(_empty_is_left_out)

#: One line of text without control characters.
Line = Annotated[str, _refuse_control(_CONTROL_IN_LINE), Says(_l("Must be text."))]
#: Text that may hold line breaks and tabs, but no other control characters.
Text = Annotated[str, _refuse_control(_CONTROL_IN_TEXT), Says(_l("Must be text."))]
Flag = Annotated[bool, Says(_l("Must be true or false."))]
WholeNumber = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX), Says(_l("Must be a whole number."))]
#: Language code → text; a plain text is taken as the Danish one.
Texts = Annotated[
    dict[Line, Text],
    BeforeValidator(_danish_if_plain),
    Says(_l("Give an object of language code → text.")),
]
#: Language code → one line (a title): no line breaks either.
LineTexts = Annotated[
    dict[Line, Line],
    BeforeValidator(_danish_if_plain),
    Says(_l("Give an object of language code → text.")),
]
Words = Annotated[list[Line], Says(_l("Give a list of texts."))]
Minutes = Annotated[list[WholeNumber], Says(_l("Give a list of minutes."))]
#: A day of the house's calendar (havehus.timeutil.FIRST_DAY…LAST_DAY), read as YYYY-MM-DD.
IsoDate = Annotated[
    date,
    _from_iso(date.fromisoformat),
    AfterValidator(_in_calendar),
    Says(_l("Not a date; use YYYY-MM-DD.")),
]
#: A local wall-clock time, read as "HH:MM" (seconds allowed, no offset), written as "HH:MM".
ClockTime = Annotated[
    time,
    _from_iso(time.fromisoformat),
    AfterValidator(_local_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}", "description": "Local HH:MM."}),
    Says(_l("Not a time; use HH:MM.")),
]
#: An instant written in the house's local time with its offset, 2026-04-01T14:00:00+02:00.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def choice(values: tuple[str, ...]) -> Says:
    """The message for a text that must be one of `values`."""
    return Says(_l("Choose one of: %(values)s.", values=", ".join(values)))


# ---------------------------------------------------------------- errors → messages


def _says_in(annotation: Any) -> Says | None:
    args = get_args(annotation)
    own = [arg for arg in args if isinstance(arg, Says)]
    if own:
        return own[-1]  # the outermost, e.g. a field's own message over its type's
    for arg in args:
        found = _says_in(arg)
        if found is not None:
            return found
    return None


def _says(field: FieldInfo | None) -> Says | None:
    if field is None:
        return None
    own = [item for item in field.metadata if isinstance(item, Says)]
    return own[-1] if own else _says_in(field.annotation)


def _message(error: Any, says: Says | None) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "havehus":
        return str(ctx["message"])
    if kind == "control_characters":
        return _("Must not contain control characters.")
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(num)d.", num=ctx.get("le", ctx.get("lt")))
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(num)d.", num=ctx.get("ge", ctx.get("gt")))
    if says is None:
        return _("Some fields are not valid.")
    if kind == "missing" and says.missing is not None:
        return str(says.missing)
    return str(says.text)


def field_errors(model: type[BaseModel], error: ValidationError) -> dict[str, str]:
    """One translated message per bad field (by its name in JSON); "body" for the whole."""
    by_name = {info.alias or name: info for name, info in model.model_fields.items()}
    fields: dict[str, str] = {}
    for item in error.errors():
        if not item["loc"] or item["type"] in (
            "json_invalid",
            "model_type",
            "model_attributes_type",
        ):
            fields.setdefault(BODY, _("Send a JSON object."))
            continue
        name = str(item["loc"][0])
        if name not in fields:
            fields[name] = _message(item, _says(by_name.get(name)))
    return fields


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], **context: Any) -> M:
    """The request's JSON object as `model`; HavehusError "invalid" naming each bad field."""
    # A body sent as another type (a form, plain text) is refused like broken JSON.
    raw = request.get_data(cache=True) if request.is_json else b""
    try:
        return model.model_validate_json(raw, context=context)
    except ValidationError as error:
        fields = field_errors(model, error)
    message = _("Send a JSON object.") if BODY in fields else _("Some fields are not valid.")
    raise HavehusError(message, "invalid", fields=fields)


def parse_query(model: type[M]) -> M:
    """The query string as `model` (an empty parameter counts as left out)."""
    given = {name: value for name, value in request.args.items() if value}
    try:
        return model.model_validate_strings(given)
    except ValidationError as error:
        fields = field_errors(model, error)
    raise HavehusError(_("Some parameters are not valid."), "invalid", fields=fields)
