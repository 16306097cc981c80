"""The follow-up list in host mode: /host/follow-up, with "texted / called / done" and a
one-tap text. Each button is a small form that works without JavaScript."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.attendance import follow_up as rules
from havehus.config import current_settings
from havehus.core.paging import page_number, page_of
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.messaging.quiet import QuietHours, parse_clock
from havehus.models.follow_up import FOLLOW_UP_REASONS
from havehus.people.access import HOSTS, current_actor, staff_required
from havehus.timeutil import utcnow

PER_PAGE = 20


def _filters(values: Any) -> dict[str, Any]:
    """The list's filters from a query string or a form: reason, done, page."""
    reason = values.get("reason", "")
    raw_page = values.get("page", "")
    return {
        "reason": reason if reason in FOLLOW_UP_REASONS else None,
        "show": "done" if values.get("show") == "done" else None,
        "page": page_number(raw_page),
    }


@staff_required(*HOSTS)
def follow_up() -> ResponseReturnValue:
    filters = _filters(request.args)
    actor = current_actor()
    entries = rules.follow_up_list(
        db.session,
        utcnow(),
        actor,
        reason=filters["reason"],
        done=filters["show"] == "done",
        settings=current_settings(),
    )
    return render_template(
        "attendance/follow_up.html",
        page=page_of(entries, filters["page"], PER_PAGE),
        total=len(entries),
        filters=filters,
        reasons=FOLLOW_UP_REASONS,
        sees_numbers=rules.sees_numbers(actor),
        problem_message=rules.text_problem_message,
    )


def _back() -> ResponseReturnValue:
    """Back to the list as it was filtered."""
    filters = {key: value for key, value in _filters(request.form).items() if value}
    return redirect(url_for("host.follow_up", **filters), 303)


def _entry_fields() -> tuple[int, str, str]:
    raw = request.form.get("participant", "")
    if not raw.isdigit() or len(raw) > 9:
        abort(400)
    return int(raw), request.form.get("why", ""), request.form.get("occurrence", "")


@staff_required(*HOSTS)
def follow_up_mark() -> ResponseReturnValue:
    """Texted, called, done — or back on the list."""
    participant, reason, occurrence = _entry_fields()
    state = request.form.get("state", "")
    try:
        rules.set_state(db.session, participant, reason, occurrence, state, utcnow(),
                        current_actor(), current_settings())  # fmt: skip
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("Saved."))
    return _back()


@staff_required(*HOSTS)
def follow_up_text() -> ResponseReturnValue:
    """The one-tap text: kind, short, in the person's language, through the outbox."""
    participant, reason, occurrence = _entry_fields()
    config = current_settings()
    quiet = QuietHours(
        start=parse_clock(config.quiet_start),
        end=parse_clock(config.quiet_end),
        tz=ZoneInfo(config.timezone),
    )
    try:
        queued = rules.send_text(
            db.session,
            participant,
            reason,
            occurrence,
            utcnow(),
            current_actor(),
            settings=config,
            quiet=quiet,
        )
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("The text is on its way.") if queued else _("This person was texted about it already."))
    return _back()
