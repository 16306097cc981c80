"""Forms of the targets, register and frozen-years pages. Every value is read and checked by
the services (goals.py, register.py, snapshots.py), which put a translated message on each
wrong field; the forms only carry what was typed (and the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from havehus.models import Activity, Department, Location
from havehus.models.program import ACTIVITY_TYPES
from havehus.models.reports import REGISTER_FIGURES, TARGET_MEASURES
from havehus.program.planner_forms import ACTIVITY_TYPE_LABELS
from havehus.reports.goals import TargetData
from havehus.reports.register import IndicatorData, ValueData
from havehus.reports.scopes import FIGURE_LABELS
from havehus.webforms import Form

COMPARISON_LABELS = {">=": _l("at least (≥)"), "<=": _l("at most (≤)")}
DIRECTION_LABELS = {"rise": _l("Rise"), "fall": _l("Fall"), "hold": _l("Hold steady")}
KIND_LABELS = {
    "computed": _l("Counted by the app"),
    "external": _l("Typed in (a survey, a register, the police …)"),
}


def _select(label: str, **kwargs: object) -> SelectField:
    # The services check the choice and say what is wrong, in the page's language.
    return SelectField(label, validate_choice=False, **kwargs)


class _ScopeFields(Form):
    activity_type = _select(_l("Activity type"))
    theme = _select(_l("Theme tag"))
    activity_id = _select(_l("One activity"))
    outside_area = BooleanField(_l("Only sessions held outside the area"))

    def fill_scope_choices(
        self, activities: list[Activity], themes: list[str], current_theme: str = ""
    ) -> None:
        self.activity_type.choices = [SelectChoice("", _l("Any type"))] + [
            SelectChoice(kind, ACTIVITY_TYPE_LABELS[kind]) for kind in ACTIVITY_TYPES
        ]
        tags = list(themes)
        if current_theme and current_theme not in tags:
            tags.append(current_theme)
        self.theme.choices = [SelectChoice("", _l("Any theme"))] + [
            SelectChoice(tag, tag) for tag in tags
        ]
        self.activity_id.choices = [SelectChoice("", _l("Any activity"))] + [
            SelectChoice(str(activity.id), activity.title.get("da") or activity.slug)
            for activity in activities
        ]


class TargetForm(_ScopeFields):
    year = StringField(_l("Year"))
    measure = _select(
        _l("What is counted"),
        choices=[SelectChoice(m, FIGURE_LABELS[m]) for m in TARGET_MEASURES],
    )
    comparison = _select(
        _l("Comparison"), choices=[SelectChoice(k, v) for k, v in COMPARISON_LABELS.items()]
    )
    amount = StringField(_l("Number"))
    sub_goal = StringField(_l("Sub-goal (delmål), if any"))

    def data_for_service(self) -> TargetData:
        return TargetData(
            year=self.year.data or "",
            measure=self.measure.data or "",
            comparison=self.comparison.data or "",
            amount=self.amount.data or "",
            sub_goal=self.sub_goal.data or "",
            activity_type=self.activity_type.data or "",
            theme=self.theme.data or "",
            activity_id=self.activity_id.data or "",
            outside_area=bool(self.outside_area.data),
        )

    def show(self, data: TargetData) -> None:
        for name in ("year", "measure", "comparison", "amount", "sub_goal"):
            self[name].data = getattr(data, name)
        for name in ("activity_type", "theme", "activity_id", "outside_area"):
            self[name].data = getattr(data, name)


class OutsideForm(Form):
    locations = SelectMultipleField(
        _l("Places outside the area"),
        validate_choice=False,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

    def fill(self, places: list[Location]) -> None:
        self.locations.choices = [SelectChoice(str(place.id), place.name) for place in places]

    def chosen(self) -> list[int]:
        """The ticked places (anything that is no place's number is left out)."""
        return [
            int(value)
            for value in self.locations.data or []
            if value.isascii() and value.isdigit() and len(value) <= 9
        ]


class IndicatorForm(_ScopeFields):
    sub_goal = StringField(_l("Sub-goal (delmål)"))
    name = StringField(_l("Indicator"))
    kind = _select(
        _l("Where the figure comes from"),
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
    )
    figure = _select(
        _l("The app's figure"),
        choices=[SelectChoice("", _l("None (typed in)"))]
        + [SelectChoice(f, FIGURE_LABELS[f]) for f in REGISTER_FIGURES],
    )
    department_id = _select(_l("Housing department"))
    baseline_value = StringField(_l("Baseline in the area"))
    baseline_of = StringField(_l("… of (the whole, for a share)"))
    baseline_year = StringField(_l("Baseline year"))
    municipal_baseline = StringField(_l("Municipal baseline"))
    data_source = StringField(_l("Data source"))
    direction = _select(
        _l("Wanted direction"),
        choices=[SelectChoice("", _l("Choose"))]
        + [SelectChoice(k, v) for k, v in DIRECTION_LABELS.items()],
    )

    def fill_departments(self, departments: list[Department]) -> None:
        self.department_id.choices = [SelectChoice("", _l("All (the whole area)"))] + [
            SelectChoice(str(d.id), d.name) for d in departments
        ]

    def data_for_service(self) -> IndicatorData:
        names = IndicatorData.__dataclass_fields__
        values = {name: self[name].data or "" for name in names if name != "outside_area"}
        return IndicatorData(outside_area=bool(self.outside_area.data), **values)

    def show(self, data: IndicatorData) -> None:
        for name in IndicatorData.__dataclass_fields__:
            self[name].data = getattr(data, name)


class ValueForm(Form):
    year = StringField(_l("Year"))
    value = StringField(_l("Figure"))
    of = StringField(_l("… of (the whole, for a share)"))
    source = StringField(_l("Source"))

    def data_for_service(self) -> ValueData:
        return ValueData(
            year=self.year.data or "",
            value=self.value.data or "",
            of=self.of.data or "",
            source=self.source.data or "",
        )


class FreezeForm(Form):
    year = StringField(_l("Year to freeze"))
