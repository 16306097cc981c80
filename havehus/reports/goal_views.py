"""Targets, the indicator register and frozen years (/staff/reports/targets, /register,
/years): managers and admins only. The rules and every check live in goals.py, register.py
and snapshots.py; these views read the forms, call them and show what they answer."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.extensions import Model, db
from havehus.form_errors import show_errors
from havehus.models import (
    Activity,
    Department,
    RegisterIndicator,
    Target,
    YearSnapshot,
)
from havehus.models.reports import TARGET_MEASURES
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.program.planner_forms import ACTIVITY_TYPE_LABELS
from havehus.reports import goals, register, snapshots
from havehus.reports.goal_forms import (
    COMPARISON_LABELS,
    DIRECTION_LABELS,
    KIND_LABELS,
    FreezeForm,
    IndicatorForm,
    OutsideForm,
    TargetForm,
    ValueForm,
)
from havehus.reports.scopes import (
    FIGURE_LABELS,
    FIRST_YEAR,
    LAST_YEAR,
    Problems,
    current_year,
    locations,
    outside_location_ids,
    theme_tags,
)
from havehus.timeutil import house_tz, utcnow

bp = Blueprint("report_goals", __name__, url_prefix="/staff/reports")
M = TypeVar("M", bound=Model)
S = TypeVar("S")
#: Record numbers beyond PostgreSQL's integer are no record (and no database error).
MAX_ID = 2**31 - 1
#: The follow-up shows at most this many years.
MAX_FOLLOW_UP_YEARS = 10


def _status() -> int:
    """A form shown again after a POST was refused."""
    return 400 if request.method == "POST" else 200


def _saved(form: FlaskForm, save: Callable[[], S]) -> S | None:
    """What `save` made from a valid posted form, committed; None when the form is not posted
    or not valid, or when the service refused it (its errors shown next to the fields)."""
    if not form.validate_on_submit():
        return None
    try:
        made = save()
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error)
        return None
    db.session.commit()
    return made


def _confirmed(confirm: ConfirmForm) -> bool:
    """Whether this is the posted confirmation (a post without its token is refused: 400)."""
    if request.method != "POST":
        return False
    if not confirm.validate_on_submit():
        abort(400)
    return True


def _get(model: type[M], key: int) -> M:
    if not 0 < key <= MAX_ID:
        abort(404)
    return db.get_or_404(model, key)


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _this_year() -> int:
    return current_year(utcnow(), house_tz())


def _activities() -> list[Activity]:
    return list(db.session.scalars(select(Activity).order_by(Activity.slug)).all())


def _scope_labels() -> dict[str, Any]:
    return {
        "types": ACTIVITY_TYPE_LABELS,
        "figures": FIGURE_LABELS,
        "comparisons": COMPARISON_LABELS,
        "directions": DIRECTION_LABELS,
        "kinds": KIND_LABELS,
        "activities": {activity.id: activity for activity in _activities()},
        "departments": {d.id: d.name for d in db.session.scalars(select(Department)).all()},
    }


# ---------------------------------------------------------------- targets


def _target_form(current_theme: str = "") -> TargetForm:
    form = TargetForm()
    form.fill_scope_choices(_activities(), theme_tags(db.session), current_theme)
    return form


def _chosen_year() -> tuple[int, str | None]:
    """The year of ?year= (checked), else this year; and the message for a wrong one."""
    text = request.args.get("year")
    if text is None:
        return _this_year(), None
    problems = Problems()
    year = problems.year("year", text)
    if year is None:
        return _this_year(), problems.fields.get("year")
    return year, None


@bp.route("/targets", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def targets() -> ResponseReturnValue:
    year, year_error = _chosen_year()
    form = _target_form()
    if request.method == "GET":
        form.year.data = str(year)
    target = _saved(
        form,
        lambda: goals.create_target(db.session, form.data_for_service(), utcnow(), current_actor()),
    )
    if target is not None:
        flash(_("The target is saved."))
        return redirect(url_for("report_goals.targets", year=target.year))
    outside = OutsideForm(prefix="outside")
    places = locations(db.session)
    outside.fill(places)
    outside.locations.data = [str(key) for key in sorted(outside_location_ids(db.session))]
    years = sorted({*goals.target_years(db.session), year, _this_year()})
    return render_template(
        "reports/goals_targets.html",
        form=form,
        outside=outside,
        places=places,
        year=year,
        year_error=year_error,
        years=years,
        progress=goals.progress(db.session, year, house_tz(), utcnow()),
        frozen=register.is_frozen(db.session, year),
        labels=_scope_labels(),
    ), _status()


@bp.route("/targets/<int:target_id>", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def target_edit(target_id: int) -> ResponseReturnValue:
    target = _get(Target, target_id)
    form = _target_form(target.theme or "")
    if request.method == "GET":
        form.show(goals.target_data(target))
    saved = _saved(
        form,
        lambda: goals.update_target(
            db.session, target, form.data_for_service(), utcnow(), current_actor()
        ),
    )
    if saved is not None:
        flash(_("The target is saved."))
        return redirect(url_for("report_goals.targets", year=saved.year))
    return render_template(
        "reports/goals_target_edit.html", form=form, target=target, labels=_scope_labels()
    ), _status()


@bp.route("/targets/<int:target_id>/delete", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def target_delete(target_id: int) -> ResponseReturnValue:
    target = _get(Target, target_id)
    confirm = ConfirmForm()
    if _confirmed(confirm):
        year = target.year
        goals.delete_target(db.session, target, utcnow(), current_actor())
        db.session.commit()
        flash(_("The target is deleted."))
        return redirect(url_for("report_goals.targets", year=year))
    return render_template(
        "reports/goals_target_delete.html", target=target, confirm=confirm, labels=_scope_labels()
    )


@bp.post("/targets/outside")
@staff_required(*MANAGERS)
def outside_places() -> ResponseReturnValue:
    form = OutsideForm(prefix="outside")
    form.fill(locations(db.session))
    if not form.validate_on_submit():
        abort(400)
    goals.set_outside_locations(db.session, form.chosen(), utcnow(), current_actor())
    db.session.commit()
    flash(_("The places outside the area are saved."))
    return redirect(url_for("report_goals.targets"))


# ---------------------------------------------------------------- the indicator register


def _indicator_form(current_theme: str = "") -> IndicatorForm:
    form = IndicatorForm()
    form.fill_scope_choices(_activities(), theme_tags(db.session), current_theme)
    form.fill_departments(list(db.session.scalars(select(Department).order_by(Department.name))))
    return form


@bp.route("/register", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def register_list() -> ResponseReturnValue:
    form = _indicator_form()
    if _saved(
        form,
        lambda: register.create_indicator(
            db.session, form.data_for_service(), utcnow(), current_actor()
        ),
    ):
        flash(_("The indicator is saved."))
        return redirect(url_for("report_goals.register_list"))
    return render_template(
        "reports/register_list.html",
        form=form,
        indicators=register.indicators(db.session),
        labels=_scope_labels(),
    ), _status()


@bp.route("/register/<int:indicator_id>", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def register_edit(indicator_id: int) -> ResponseReturnValue:
    indicator = _get(RegisterIndicator, indicator_id)
    form = _indicator_form(indicator.theme or "")
    if request.method == "GET":
        form.show(register.indicator_data(indicator))
    if _saved(
        form,
        lambda: register.update_indicator(
            db.session, indicator, form.data_for_service(), utcnow(), current_actor()
        ),
    ):
        flash(_("The indicator is saved."))
        return redirect(url_for("report_goals.register_list"))
    return render_template(
        "reports/register_edit.html", form=form, indicator=indicator, labels=_scope_labels()
    ), _status()


@bp.route("/register/<int:indicator_id>/delete", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def register_delete(indicator_id: int) -> ResponseReturnValue:
    indicator = _get(RegisterIndicator, indicator_id)
    confirm = ConfirmForm()
    if _confirmed(confirm):
        register.delete_indicator(db.session, indicator, utcnow(), current_actor())
        db.session.commit()
        flash(_("The indicator is deleted."))
        return redirect(url_for("report_goals.register_list"))
    return render_template("reports/register_delete.html", indicator=indicator, confirm=confirm)


@bp.route("/register/<int:indicator_id>/values", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def register_values(indicator_id: int) -> ResponseReturnValue:
    indicator = _get(RegisterIndicator, indicator_id)
    if indicator.kind != "external":
        abort(404)
    form = ValueForm()
    row = _saved(
        form,
        lambda: register.set_value(
            db.session, indicator, form.data_for_service(), utcnow(), current_actor()
        ),
    )
    if row is not None:
        flash(_("The figure for %(year)d is saved.", year=row.year))
        return redirect(url_for("report_goals.register_values", indicator_id=indicator.id))
    frozen = {year for year in db.session.scalars(select(YearSnapshot.year)).all()}
    return render_template(
        "reports/register_values.html",
        form=form,
        indicator=indicator,
        frozen=frozen,
        confirm=ConfirmForm(),
    ), _status()


@bp.post("/register/<int:indicator_id>/values/<int:year>/remove")
@staff_required(*MANAGERS)
def register_value_remove(indicator_id: int, year: int) -> ResponseReturnValue:
    indicator = _get(RegisterIndicator, indicator_id)
    _year_or_404(year)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        register.remove_value(db.session, indicator, year, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The figure for %(year)d is removed.", year=year))
    return redirect(url_for("report_goals.register_values", indicator_id=indicator.id))


@bp.get("/register/follow-up")
@staff_required(*MANAGERS)
def register_follow_up() -> ResponseReturnValue:
    this = _this_year()
    problems = Problems()
    first = problems.year("from", request.args.get("from"), required=False)
    last = problems.year("to", request.args.get("to"), required=False)
    last = last or this
    first = first or last - 4
    if first > last:
        problems.add("from", _("The first year must not come after the last."))
    elif last - first + 1 > MAX_FOLLOW_UP_YEARS:
        problems.add("from", _("Show at most %(num)d years at a time.", num=MAX_FOLLOW_UP_YEARS))
    if problems.fields:
        first, last = this - 4, this
    years = list(range(first, last + 1))
    return render_template(
        "reports/register_follow_up.html",
        rows=register.follow_up(db.session, years, house_tz(), utcnow()),
        years=years,
        first=first,
        last=last,
        errors=problems.fields,
        typed={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        labels=_scope_labels(),
    )


# ---------------------------------------------------------------- frozen years


@bp.route("/years", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def years() -> ResponseReturnValue:
    tz, now = house_tz(), utcnow()
    form = FreezeForm()
    snapshot = _saved(
        form,
        lambda: snapshots.freeze_year(
            db.session,
            form.year.data or "",
            tz,
            now,
            current_actor(),
            frozen_by=current_user.name or current_user.email,
        ),
    )
    if snapshot is not None:
        flash(_("%(year)d is frozen.", year=snapshot.year))
        return redirect(url_for("report_goals.years"))
    if request.method == "GET":
        form.year.data = str(_this_year() - 1)
    compared, compare_errors = snapshots.read_years(request.args.getlist("years"), now, tz)
    columns = snapshots.compare(db.session, compared, tz, now)
    return render_template(
        "reports/years_list.html",
        form=form,
        snapshots=snapshots.snapshots(db.session),
        columns=columns,
        compare_errors=compare_errors,
        typed_years=", ".join(request.args.getlist("years")),
        figures=[f for f in FIGURE_LABELS if f != "participation_rate"],
        departments=_groups(columns, "by_department"),
        categories=_groups(columns, "by_category"),
        indicators=register.indicators(db.session),
        this_year=_this_year(),
        labels=_scope_labels(),
        measures=TARGET_MEASURES,
    ), _status()


def _groups(columns: list[snapshots.YearColumn], part: str) -> list[str]:
    """The groups of a breakdown over all compared years, in the order they first appear."""
    names: dict[str, None] = {}
    for column in columns:
        for row in column.data.get(part, []):
            names.setdefault(row["group"], None)
    return list(names)


@bp.route("/years/<int:year>/unfreeze", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def year_unfreeze(year: int) -> ResponseReturnValue:
    snapshot = snapshots.snapshot_of(db.session, _year_or_404(year))
    if snapshot is None:
        abort(404)
    confirm = ConfirmForm()
    if _confirmed(confirm):
        snapshots.unfreeze_year(db.session, snapshot, utcnow(), current_actor())
        db.session.commit()
        flash(_("%(year)d is no longer frozen: its figures are live again.", year=year))
        return redirect(url_for("report_goals.years"))
    return render_template("reports/years_unfreeze.html", snapshot=snapshot, confirm=confirm)


@bp.app_template_filter("report_number")
def report_number(value: Decimal | int | float | None) -> str:
    """A figure in the page's language (Danish: 1.234,5)."""
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0.###"))


@bp.app_template_filter("report_percent")
def report_percent(value: Decimal | float | None) -> str:
    """A share as a percentage with one decimal (Danish: 6,3 %)."""
    if value is None:
        return "–"
    return str(format_percent(value, format="#,##0.0 %"))
