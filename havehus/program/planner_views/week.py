"""The planner's week (/staff/week/<YYYY-Www>) and its printable poster."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.extensions import db
from havehus.i18n import offered_languages
from havehus.models.program import CATEGORIES
from havehus.people.access import HOSTS, MANAGERS, staff_required
from havehus.program import services as program_services
from havehus.program.hosts import effective_hosts
from havehus.program.labels import CATEGORY_LABELS
from havehus.program.planner_forms import PlannerFilterForm
from havehus.program.planner_views.common import conflict_text, monday_or_404, room_choices
from havehus.program.poster import PAPER_SIZES, entry_urls, render_poster
from havehus.program.week import planner_week_page
from havehus.timeutil import house_tz, iso_week_label, utcnow

#: The query arguments of the week's filters, kept on the links to other weeks.
FILTER_ARGS = ("room", "category", "mine")


@staff_required(*HOSTS)
def week(week: str) -> ResponseReturnValue:
    monday = monday_or_404(week)
    filters = _filter_form()
    category = filters.category.data if filters.category.data in CATEGORIES else None
    shown = planner_week_page(
        db.session,
        monday,
        house_tz(),
        room_id=filters.room.data or None,
        category=category,
        host_id=current_user.id if filters.mine.data else None,
    )
    return render_template(
        "program/planner/week.html",
        **_week_links(monday),
        days=shown.days,
        closures=shown.closures,
        conflicts=shown.conflicts,
        holidays=shown.holidays,
        islamic=shown.islamic,
        filters=filters,
        filter_args={k: v for k, v in request.args.items() if k in FILTER_ARGS},
        conflict_text=conflict_text,
        effective_hosts=effective_hosts,
        can_edit=current_user.role in MANAGERS,
        languages=offered_languages(),
        paper_sizes=PAPER_SIZES,
    )


def _filter_form() -> PlannerFilterForm:
    filters = PlannerFilterForm(request.args)
    filters.room.choices = [SelectChoice(0, _("All rooms"))] + room_choices()[1:]
    filters.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES
    ]
    return filters


def _week_links(monday: date) -> dict[str, object]:
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "week_label": iso_week_label(monday),
        "previous_week": iso_week_label(monday - timedelta(days=7)),
        "next_week": iso_week_label(monday + timedelta(days=7)),
        "this_week": iso_week_label(utcnow().astimezone(house_tz()).date()),
    }


@staff_required(*HOSTS)
def poster(week: str) -> ResponseReturnValue:
    """The public program of the week as an A4 or A3 PDF, in the ticked languages."""
    monday = monday_or_404(week)
    offered = [lang.code for lang in offered_languages()]
    languages = [code for code in offered if code in request.args.getlist("lang")] or offered[:1]
    size = request.args.get("size", "A4").upper()
    if size not in PAPER_SIZES:
        size = "A4"
    tz = house_tz()
    today = utcnow().astimezone(tz).date()
    days = program_services.week_program(db.session, monday, today, tz)
    label = iso_week_label(monday)
    pdf = render_poster(
        days,
        monday,
        languages,
        size,
        current_settings().public_link(url_for("program.week", week=label)),
        entry_urls(days, current_settings()),
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="havehus-{label}-{size}.pdf"'
    return response


@staff_required(*HOSTS)
def this_week() -> ResponseReturnValue:
    today = utcnow().astimezone(house_tz()).date()
    return redirect(url_for("planner.week", week=iso_week_label(today)))
