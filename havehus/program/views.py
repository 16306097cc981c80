"""Public program pages: the week, one activity, one session."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from havehus.extensions import db
from havehus.input_guard import page_number
from havehus.program import services
from havehus.program.page_cache import public_page
from havehus.timeutil import house_tz, iso_week_label, parse_iso_week, utcnow, week_monday

bp = Blueprint("program", __name__)


#: The front page and the kiosk show today and this many days after it.
COMING_DAYS = 6


@bp.get("/")
def index() -> str | Response:
    """Today and the next six days: on a Sunday evening, the coming week rather than the last."""
    return public_page(_render_index)


def _render_index() -> str:
    now = utcnow()
    today = now.astimezone(house_tz()).date()
    return render_template(
        "program/week.html",
        days=services.program_days(db.session, today, COMING_DAYS + 1, today, house_tz()),
        heading=_("Today and the next %(count)d days", count=COMING_DAYS),
        first=today,
        last=today + timedelta(days=COMING_DAYS),
        previous_week=iso_week_label(today - timedelta(days=7)),
        this_week=iso_week_label(today),
        next_week=iso_week_label(today + timedelta(days=7)),
        now=now,
    )


@bp.get("/week/<week>")
def week(week: str) -> str | Response:
    try:
        monday = parse_iso_week(week)
    except ValueError:
        abort(404)
    return public_page(lambda: _render_week(monday, utcnow()))


def _render_week(monday: date, now: datetime) -> str:
    today = now.astimezone(house_tz()).date()
    days = services.week_program(db.session, monday, today, house_tz())
    return render_template(
        "program/week.html",
        days=days,
        heading=_("Week %(number)d", number=monday.isocalendar().week),
        first=monday,
        last=monday + timedelta(days=6),
        previous_week=iso_week_label(monday - timedelta(days=7)),
        next_week=iso_week_label(monday + timedelta(days=7)),
        this_week=None if week_monday(today) == monday else iso_week_label(today),
        now=now,
    )


@bp.get("/activities/<slug>")
def activity(slug: str) -> str | Response:
    page = page_number()
    return public_page(lambda: _render_activity(slug, page))


def _render_activity(slug: str, page: int) -> str:
    found = services.public_activity(db.session, slug)
    if found is None:
        abort(404)
    now = utcnow()
    sessions, has_more = services.upcoming_sessions(
        db.session, found, now, page, services.DEFAULT_PAGE_SIZE
    )
    return render_template(
        "program/activity.html",
        activity=found,
        sessions=sessions,
        page=page,
        has_more=has_more,
        now=now,
    )


@bp.get("/sessions/<int:session_id>")
def session(session_id: int) -> str | Response:
    return public_page(lambda: _render_session(session_id))


def _render_session(session_id: int) -> str:
    found = services.public_session(db.session, session_id)
    if found is None:
        abort(404)
    return render_template("program/session.html", session=found, now=utcnow())
