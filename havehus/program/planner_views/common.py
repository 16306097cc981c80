"""What the planner's pages share: paging, the week in the URL, flashes, form choices."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.dbutil import db_int
from havehus.extensions import db
from havehus.input_guard import page_number
from havehus.models import Activity
from havehus.program.hosts import host_choices
from havehus.program.places import locations, rooms
from havehus.program.results import ChangeSummary, Conflict
from havehus.timeutil import house_tz, parse_iso_week

PER_PAGE = 25


def horizon_weeks() -> int:
    return int(current_settings().horizon_weeks)


def paginate(query: Select[Any]) -> Pagination:
    """The page of the query that ?page= asks for (a page past the end is empty)."""
    return db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)


def monday_or_404(week: str) -> date:
    try:
        return parse_iso_week(week)
    except ValueError:
        abort(404)


def form_int(value: str | None) -> int | None:
    """A hidden field's number (a version or sequence), or None when it holds none."""
    try:
        return db_int(value or "")
    except ValueError:
        return None


def flash_summary(summary: ChangeSummary) -> None:
    """Tell the manager about the texts a change queued, who gets none, and its conflicts."""
    if summary.notices:
        flash(
            ngettext(
                "%(num)d change text is waiting in the outbox.",
                "%(num)d change texts are waiting in the outbox.",
                summary.notices,
            ),
            "info",
        )
    if summary.unreached:
        flash(
            ngettext(
                "%(num)d person said STOP to texts and gets no text: tell them another way.",
                "%(num)d people said STOP to texts and get no text: tell them another way.",
                summary.unreached,
            ),
            "warning",
        )
    flash_conflicts(summary.warnings)


def flash_conflicts(conflicts: list[Conflict]) -> None:
    for conflict in conflicts:
        flash(conflict_text(conflict), "warning")


def conflict_text(conflict: Conflict) -> str:
    tz = house_tz()
    first, second = conflict.first, conflict.second
    values = {
        "first": _title(first.activity),
        "second": _title(second.activity),
        "when": f"{first.starts_at.astimezone(tz):%d/%m %H:%M}",
    }
    if conflict.kind == "room":
        room = first.effective_room
        return _(
            "Warning: %(first)s and %(second)s overlap in %(room)s (%(when)s).",
            room=room.name if room else "",
            **values,
        )
    host = conflict.host
    return _(
        "Warning: %(host)s hosts both %(first)s and %(second)s (%(when)s).",
        host=(host.name or host.email) if host else "",
        **values,
    )


def _title(activity: Activity) -> str:
    return activity.title.get("da") or activity.slug


def room_choices() -> list[SelectChoice]:
    return [SelectChoice(0, _("No room"))] + [
        SelectChoice(r.id, f"{r.location.name} – {r.name}") for r in rooms(db.session)
    ]


def location_choices() -> list[SelectChoice]:
    return [SelectChoice(0, _("No location"))] + [
        SelectChoice(p.id, p.name) for p in locations(db.session)
    ]


def staff_host_choices() -> list[SelectChoice]:
    return [SelectChoice(u.id, u.name or u.email) for u in host_choices(db.session)]
