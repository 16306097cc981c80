"""The planner's copy-week page: the one-off sessions of a week, again in another week."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.program import copy_week as copying
from havehus.program.planner_forms import CopyWeekForm
from havehus.program.planner_views.common import flash_summary, monday_or_404
from havehus.timeutil import house_tz, iso_week_label, utcnow


@staff_required(*MANAGERS)
def copy_week(week: str) -> ResponseReturnValue:
    monday = monday_or_404(week)
    form = CopyWeekForm()
    if request.method == "GET":
        form.target.data = iso_week_label(monday + timedelta(days=7))
        return _copy_page(form, monday)
    target = form.target_monday() if form.validate_on_submit() else None
    if target is None:
        return _copy_page(form, monday, status=400)
    if form.confirm.data != "yes":
        return _copy_page(
            form, monday, copying.copy_week_preview(db.session, monday, target, house_tz())
        )
    try:
        summary = copying.copy_week(
            db.session, monday, target, utcnow(), current_actor(), tz=house_tz()
        )
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error)
        return _copy_page(form, monday, status=400)
    db.session.commit()
    copied = ngettext("%(num)d session is copied.", "%(num)d sessions are copied.", summary.created)
    flash(copied, "success")
    flash_summary(summary)
    return redirect(url_for("planner.week", week=iso_week_label(target)))


def _copy_page(
    form: CopyWeekForm,
    monday: date,
    items: list[copying.CopyItem] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "program/planner/copy_week.html",
            form=form,
            items=items,
            week_label=iso_week_label(monday),
            monday=monday,
            source=copying.one_off_sessions(db.session, monday, house_tz()),
        ),
        status,
    )
