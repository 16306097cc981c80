"""Forms of the planner (/staff/...): activities, sessions, closures, copying a week."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from havehus.errors import HavehusError
from havehus.models import Mode
from havehus.models.program import ACTIVITY_TYPES, CATEGORIES
from havehus.program.activity_data import PICTOGRAMS, ActivityData
from havehus.program.labels import CATEGORY_LABELS, PICTOGRAM_LABELS
from havehus.program.repeat import Repeat, build_rrule, describe, preview_starts
from havehus.program.sessions import minutes_between
from havehus.timeutil import parse_iso_week
from havehus.webforms import Form

ACTIVITY_TYPE_LABELS = {
    "network": _l("Network activity"),
    "theme": _l("Theme event"),
    "workshop": _l("Workshop"),
    "course": _l("Course"),
    "popup": _l("Pop-up"),
    "health_event": _l("Health event"),
    "department_meeting": _l("Department meeting"),
    "open_house": _l("Open house"),
    "staff_meeting": _l("Staff meeting"),
}
MODE_LABELS = {
    Mode.DROP_IN: _l("Drop-in: just come"),
    Mode.SIGNUP: _l("Sign-up for each session"),
    Mode.ENROLMENT: _l("Enrolment for the whole course"),
}
VISIBILITY_LABELS = {
    "public": _l("Public: everyone"),
    "partners": _l("Partners and staff"),
    "staff": _l("Staff only"),
}
OFFER_POLICY_LABELS = {
    "immediate": _l("Give a free seat to the next person at once"),
    "hold": _l("Offer the seat and hold it for some hours"),
}
REPEAT_LABELS = {
    "none": _l("Once"),
    "weekly": _l("Every week"),
    "biweekly": _l("Every other week"),
    "monthly": _l("Once a month"),
    "custom": _l("Another rule (RRULE)"),
}
WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
MONTH_WEEK_LABELS = {
    1: _l("first"),
    2: _l("second"),
    3: _l("third"),
    4: _l("fourth"),
    -1: _l("last"),
}
END_LABELS = {
    "never": _l("No end"),
    "until": _l("Until a date"),
    "count": _l("A number of times"),
}
SCOPE_LABELS = {
    "this": _l("This session only"),
    "following": _l("This and the following sessions"),
    "all": _l("All coming sessions"),
}
#: Languages offered in the spoken/interpreter pickers (names come from Babel).
COMMON_LANGUAGES = (
    "da",
    "en",
    "ar",
    "tr",
    "so",
    "ur",
    "uk",
    "fa",
    "ps",
    "ti",
    "ku",
    "bs",
    "pl",
    "ro",
    "de",
    "es",
    "fr",
)
#: Where a service's field error is shown, when the form names the field differently.
ACTIVITY_ERROR_FIELDS = {
    "title": "title_da",
    "summary": "summary_da",
    "neutral_title": "neutral_title_da",
    "price_text": "price_text_da",
    "duration_minutes": "end_time",
    "ends_on": "until",
    "location_id": "location",
    "room_id": "room",
    "host_ids": "hosts",
}


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in a list, for keyboard and screen readers alike."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _options(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _comma_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ActivityFormBase(Form):
    """The fields every language shares; per-language fields are added by activity_form()."""

    version = HiddenField()
    slug = StringField(_l("Web name (in the address)"), validators=[Length(max=80)])
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        default="other",
    )
    activity_type = SelectField(
        _l("Type"), choices=[SelectChoice(t, ACTIVITY_TYPE_LABELS[t]) for t in ACTIVITY_TYPES]
    )
    theme_tags = StringField(
        _l("Theme tags, separated by commas"), validators=[Optional(), Length(max=400)]
    )
    pictogram = RadioField(
        _l("Pictogram"), choices=[SelectChoice("", _l("The category's"))], default=""
    )
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 8 MB)"))
    remove_photo = BooleanField(_l("Remove the photo"))
    location = SelectField(_l("Location"), coerce=int, default=0)
    room = SelectField(_l("Room"), coerce=int, default=0)
    mode = RadioField(_l("Participation"), choices=_options(MODE_LABELS), default=Mode.DROP_IN)
    capacity = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(min=0, max=10000)])
    walk_ins_welcome = BooleanField(_l("Walk-ins welcome too"))
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    offer_policy = SelectField(
        _l("When a seat becomes free"), choices=_options(OFFER_POLICY_LABELS)
    )
    offer_hold_hours = IntegerField(
        _l("Hours a free seat is held"),
        default=12,
        validators=[InputRequired(), NumberRange(min=0, max=168)],
    )
    reminder_hours = StringField(
        _l("Reminders, hours before the start, separated by commas"),
        default="24, 3",
        validators=[Optional(), Length(max=60)],
    )
    visibility = SelectField(_l("Who sees it"), choices=_options(VISIBILITY_LABELS))
    sensitive = BooleanField(_l("Sensitive (e.g. vaccination): who takes part is kept secret"))
    women_only = BooleanField(_l("Women only"))
    childcare = BooleanField(_l("Childcare"))
    food_served = BooleanField(_l("Food served"))
    step_free = BooleanField(_l("Step-free access"), default=True)
    wellbeing_pulse = BooleanField(_l('Ask "How are you today?" after a check-in'))
    spoken_languages = MultiCheckboxField(_l("Languages spoken"), choices=[])
    interpreter_languages = MultiCheckboxField(_l("Interpreter available in"), choices=[])
    hosts = MultiCheckboxField(_l("Regular hosts"), coerce=int, choices=[])

    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    start_time = TimeField(_l("Starts at"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends at"), validators=[DataRequired()])
    repeat = RadioField(_l("Repeats"), choices=_options(REPEAT_LABELS), default="weekly")
    weekdays = MultiCheckboxField(
        _l("On"),
        coerce=int,
        choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
    )
    month_week = SelectField(
        _l("Which week of the month"), coerce=int, choices=_options(MONTH_WEEK_LABELS)
    )
    end_kind = RadioField(_l("Ends"), choices=_options(END_LABELS), default="never")
    until = DateField(_l("Last day"), validators=[Optional()])
    count = IntegerField(_l("Number of times"), validators=[Optional(), NumberRange(1, 500)])
    rule = StringField(
        _l("Rule (RFC 5545), e.g. FREQ=WEEKLY;BYDAY=MO,WE"),
        validators=[Optional(), Length(max=500)],
    )

    preview = SubmitField(_l("Preview the dates"))
    save = SubmitField(_l("Save"))

    languages: Sequence[str] = ()

    def text_fields(self, prefix: str) -> list[Field]:
        return [self[f"{prefix}_{code}"] for code in self.languages]

    def texts(self, prefix: str) -> dict[str, str]:
        return {code: (self[f"{prefix}_{code}"].data or "") for code in self.languages}

    def repeat_pattern(self) -> Repeat:
        return Repeat(
            kind=self.repeat.data or "none",
            weekdays=tuple(self.weekdays.data or ()),
            month_week=self.month_week.data or 1,
            until=self.until.data if self.end_kind.data == "until" else None,
            count=self.count.data if self.end_kind.data == "count" else None,
            rule=self.rule.data or "",
        )

    def error_fields(self) -> dict[str, str]:
        """Where a service's field errors go on this form; a refused rule goes next to the
        rule typed in, or next to the repeat choice that made it."""
        target = "rule" if self.repeat.data == "custom" else "repeat"
        return {**ACTIVITY_ERROR_FIELDS, "rrule": target}

    def missing_end(self) -> dict[str, str]:
        """The end choice needs its value; checked before the service sees the rule."""
        if self.repeat.data in ("none", "custom"):
            return {}
        if self.end_kind.data == "until" and self.until.data is None:
            return {"until": str(_l("Choose the last day."))}
        if self.end_kind.data == "count" and not self.count.data:
            return {"count": str(_l("Say how many times."))}
        return {}

    def schedule_preview(self, tz: ZoneInfo) -> tuple[str, list[tuple[datetime, datetime]]] | None:
        """The pattern in words and its next dates, or None (the errors put on the fields)."""
        if self.missing_end():
            for name, message in self.missing_end().items():
                self[name].errors = [*self[name].errors, message]
            return None
        data = self.to_data(None)
        if data.starts_on is None or data.start_time is None:
            return None  # a form not yet validated: both fields are required
        if data.duration_minutes is None or data.duration_minutes <= 0:
            self.end_time.errors = [*self.end_time.errors, _("The end must be after the start.")]
            return None
        try:
            dates = preview_starts(
                data.rrule, data.starts_on, data.start_time, data.duration_minutes, tz
            )
        except HavehusError as error:
            target = self.rule if self.repeat.data == "custom" else self.repeat
            target.errors = [*target.errors, error.message]
            return None
        if not dates:
            self.repeat.errors = [
                *self.repeat.errors,
                _("This pattern never happens. Check the days and the end."),
            ]
            return None
        return describe(data.rrule, data.starts_on, data.start_time, data.duration_minutes), dates

    def to_data(self, photo: str | None) -> ActivityData:
        minutes = minutes_between(self.start_time.data or time(0), self.end_time.data or time(0))
        offsets = []
        for part in _comma_list(self.reminder_hours.data):
            try:
                hours = float(part.replace(",", "."))
            except ValueError:
                hours = -1
            # "inf" and "nan" read as floats but are no number of minutes.
            offsets.append(round(hours * 60) if math.isfinite(hours) else -1)
        starts_on = self.starts_on.data
        return ActivityData(
            slug=self.slug.data or "",
            title=self.texts("title"),
            summary=self.texts("summary"),
            neutral_title=self.texts("neutral_title"),
            price_text=self.texts("price_text"),
            category=self.category.data or "other",
            activity_type=self.activity_type.data or "network",
            theme_tags=_comma_list(self.theme_tags.data),
            pictogram=self.pictogram.data or None,
            photo=photo,
            location_id=self.location.data or None,
            room_id=self.room.data or None,
            mode=self.mode.data or Mode.DROP_IN,
            capacity=self.capacity.data,
            walk_ins_welcome=bool(self.walk_ins_welcome.data),
            waitlist_enabled=bool(self.waitlist_enabled.data),
            offer_policy=self.offer_policy.data or "immediate",
            offer_hold_hours=self.offer_hold_hours.data or 0,
            reminder_offsets=offsets,
            visibility=self.visibility.data or "public",
            sensitive=bool(self.sensitive.data),
            women_only=bool(self.women_only.data),
            childcare=bool(self.childcare.data),
            food_served=bool(self.food_served.data),
            step_free=bool(self.step_free.data),
            wellbeing_pulse=bool(self.wellbeing_pulse.data),
            spoken_languages=list(self.spoken_languages.data or []),
            interpreter_languages=list(self.interpreter_languages.data or []),
            rrule=build_rrule(self.repeat_pattern(), starts_on) if starts_on else None,
            starts_on=starts_on,
            start_time=self.start_time.data,
            duration_minutes=minutes,
            host_ids=list(self.hosts.data or []),
        )

    def fill(self, data: ActivityData, repeat: Repeat, end_time: time) -> None:
        """Set every field from an activity (GET of the edit page)."""
        self.slug.data = data.slug
        for prefix in ("title", "summary", "neutral_title", "price_text"):
            texts = getattr(data, prefix)
            for code in self.languages:
                self[f"{prefix}_{code}"].data = texts.get(code, "")
        for name in (
            "category",
            "activity_type",
            "mode",
            "capacity",
            "walk_ins_welcome",
            "waitlist_enabled",
            "offer_policy",
            "offer_hold_hours",
            "visibility",
            "sensitive",
            "women_only",
            "childcare",
            "food_served",
            "step_free",
            "wellbeing_pulse",
            "spoken_languages",
            "interpreter_languages",
            "starts_on",
            "start_time",
        ):
            self[name].data = getattr(data, name)
        self.theme_tags.data = ", ".join(data.theme_tags)
        self.pictogram.data = data.pictogram or ""
        self.location.data = data.location_id or 0
        self.room.data = data.room_id or 0
        self.reminder_hours.data = ", ".join(
            f"{offset / 60:g}" for offset in sorted(data.reminder_offsets, reverse=True)
        )
        self.hosts.data = data.host_ids
        self.end_time.data = end_time
        self.repeat.data = repeat.kind
        self.weekdays.data = list(repeat.weekdays)
        self.month_week.data = repeat.month_week
        self.rule.data = repeat.rule
        self.until.data = repeat.until
        self.count.data = repeat.count
        self.end_kind.data = "until" if repeat.until else "count" if repeat.count else "never"


def activity_form(languages: Sequence[str], **kwargs: Any) -> ActivityFormBase:
    """The activity form with title, short text, neutral title and price per language."""

    class ActivityForm(ActivityFormBase):
        pass

    for code in languages:
        setattr(
            ActivityForm,
            f"title_{code}",
            StringField(_l("Title"), validators=[Optional(), Length(max=200)]),
        )
        setattr(
            ActivityForm,
            f"summary_{code}",
            TextAreaField(_l("Short text"), validators=[Optional(), Length(max=1000)]),
        )
        setattr(
            ActivityForm,
            f"neutral_title_{code}",
            StringField(_l("Neutral wording"), validators=[Optional(), Length(max=200)]),
        )
        setattr(
            ActivityForm,
            f"price_text_{code}",
            StringField(_l("Price"), validators=[Optional(), Length(max=200)]),
        )
    ActivityForm.languages = tuple(languages)
    form = ActivityForm(**kwargs)
    form.pictogram.choices = [SelectChoice("", _l("The category's"))] + [
        SelectChoice(p, PICTOGRAM_LABELS[p]) for p in PICTOGRAMS
    ]
    return form


class SessionForm(Form):
    """Move one session, or change the time of the series from it."""

    sequence = HiddenField()
    day = DateField(_l("Day"), validators=[DataRequired()])
    start_time = TimeField(_l("Starts at"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends at"), validators=[DataRequired()])
    room = SelectField(_l("Room"), coerce=int, default=0)
    scope = RadioField(_l("Apply to"), choices=_options(SCOPE_LABELS), default="this")


class HostsForm(Form):
    hosts = MultiCheckboxField(_l("Hosts on this shift"), coerce=int, choices=[])


class CancelForm(Form):
    reason = StringField(
        _l("Reason (participants get it in a text)"),
        validators=[DataRequired(), Length(max=300)],
    )
    scope = RadioField(_l("Cancel"), choices=_options(SCOPE_LABELS), default="this")
    confirm = HiddenField()


class NewSessionForm(Form):
    day = DateField(_l("Day"), validators=[DataRequired()])
    start_time = TimeField(_l("Starts at"), validators=[DataRequired()])
    end_time = TimeField(_l("Ends at"), validators=[DataRequired()])
    room = SelectField(_l("Room"), coerce=int, default=0)


class ClosureForm(Form):
    starts_on = DateField(_l("First closed day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last closed day"), validators=[DataRequired()])
    reason = StringField(
        _l("Reason (shown on the program)"), validators=[DataRequired(), Length(max=200)]
    )
    location = SelectField(_l("Where"), coerce=int, default=0)
    confirm = HiddenField()


class CopyWeekForm(Form):
    target = StringField(
        _l("Copy to week (e.g. 2026-W12)"), validators=[DataRequired(), Length(max=8)]
    )
    confirm = HiddenField()

    def target_monday(self) -> date | None:
        """The Monday of the week written in the field, or None (with the error on it)."""
        try:
            return parse_iso_week((self.target.data or "").strip().upper())
        except ValueError:
            self.target.errors = [_("Write the week as YYYY-Www, e.g. 2026-W12.")]
            return None


class VersionForm(Form):
    """A confirmation button that carries the version it confirms."""

    version = HiddenField(validators=[DataRequired()])


class PlannerFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    room = SelectField(_l("Room"), coerce=int, default=0, validate_choice=False)
    category = SelectField(_l("Category"), default="", validate_choice=False)
    mine = BooleanField(_l("Only my shifts"))
