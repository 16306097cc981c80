"""The planner's closures page: close the house on some days (preview, then confirm)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.models import Closure, Session
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.program.calendar_info import danish_holidays, islamic_dates
from havehus.program.closures import (
    coming_closures,
    create_closure,
    delete_closure,
    preview_closure,
)
from havehus.program.places import locations
from havehus.program.planner_forms import ClosureForm
from havehus.program.planner_views.common import flash_summary, location_choices, paginate
from havehus.timeutil import house_tz, parse_day, utcnow
from havehus.webforms import Form


@staff_required(*MANAGERS)
def closures() -> ResponseReturnValue:
    form = ClosureForm()
    form.location.choices = [
        SelectChoice(0, _("The whole house (every location)"))
    ] + location_choices()[1:]
    if request.method == "GET":
        _fill_from_calendar(form)
        return _closures_page(form)
    if not form.validate_on_submit():
        return _closures_page(form, status=400)
    closing = (form.starts_on.data, form.ends_on.data, form.reason.data, form.location.data or None)
    try:
        if form.confirm.data != "yes":
            affected = preview_closure(db.session, *closing, tz=house_tz())
            return _closures_page(form, affected)
        _closure, summary = create_closure(
            db.session,
            *closing,
            utcnow(),
            current_actor(),
            tz=house_tz(),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error, {"location_id": "location"})
        return _closures_page(form, status=400)
    db.session.commit()
    saved = ngettext(
        "The closure is saved; %(num)d session is cancelled.",
        "The closure is saved; %(num)d sessions are cancelled.",
        len(summary.cancelled),
    )
    flash(saved, "success")
    flash_summary(summary)
    return redirect(url_for("planner.closures"))


@staff_required(*MANAGERS)
def closure_delete(closure_id: int) -> ResponseReturnValue:
    closure = db.get_or_404(Closure, closure_id)
    if not Form().validate_on_submit():
        abort(400)
    delete_closure(db.session, closure, utcnow(), current_actor())
    db.session.commit()
    flash(_("The closure is removed. Sessions it cancelled stay cancelled."), "success")
    return redirect(url_for("planner.closures"))


def _fill_from_calendar(form: ClosureForm) -> None:
    """The holiday list's "close on this day" links bring the day and the holiday's name."""
    if not request.args.get("day"):
        return
    try:
        day = parse_day(request.args["day"])
    except ValueError:
        abort(404)
    form.starts_on.data = form.ends_on.data = day
    form.reason.data = request.args.get("reason", "")[:200]


def _closures_page(
    form: ClosureForm, affected: list[Session] | None = None, status: int = 200
) -> ResponseReturnValue:
    today = utcnow().astimezone(house_tz()).date()
    year_end = date(today.year + 1, 12, 31)
    return (
        render_template(
            "program/planner/closures.html",
            form=form,
            affected=affected,
            page=paginate(coming_closures(today)),
            holidays=danish_holidays(today, year_end),
            islamic=islamic_dates(today, year_end),
            locations={place.id: place.name for place in locations(db.session)},
            confirm=Form(),
        ),
        status,
    )
