"""Host mode: /host (the day's sessions) and /host/sessions/<id> (who came), phone first.

Every tap is a small form that works without JavaScript (post, then back to the sheet); with
JavaScript (static/js/host.js) the same forms post in the background, asking for JSON, and a
tap that could not be sent is kept and sent again under the same key.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.attendance import pulse, services
from havehus.attendance.forms import AddPersonForm, NoteForm
from havehus.attendance.sheet import Sheet, host_days, sheet
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Session
from havehus.people.access import HOSTS, current_actor, staff_required
from havehus.signup.forms import CHANNEL_LABELS, SearchForm
from havehus.signup.staff import log_sensitive_list, search_participants
from havehus.timeutil import house_tz, utcnow

#: The HTTP status of each refusal.
STATUS = {"forbidden": 403, "locked": 409, "cancelled": 409, "early": 409, "not_found": 404}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _session(session_id: int) -> Session:
    return db.get_or_404(Session, session_id)


def new_key() -> str:
    """A fresh idempotency key for one tap's form."""
    return secrets.token_urlsafe(18)


@staff_required(*HOSTS)
def days() -> ResponseReturnValue:
    tz = house_tz()
    today = utcnow().astimezone(tz).date()
    chosen = _chosen_day(request.args.get("date"), today)
    return render_template(
        "attendance/host_days.html",
        days=host_days(db.session, chosen, tz),
        chosen=chosen,
        today=today,
        before=chosen - timedelta(days=1),
        after=chosen + timedelta(days=1),
    )


def _chosen_day(raw: str | None, today: date) -> date:
    if not raw:
        return today
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        flash(_("That date could not be read. Here is today."))
        return today
    if abs((chosen - today).days) > 366 * 5:
        flash(_("That date is too far away. Here is today."))
        return today
    return chosen


@staff_required(*HOSTS)
def session_sheet(session_id: int) -> ResponseReturnValue:
    target = _session(session_id)
    now, actor = utcnow(), current_actor()
    shown = sheet(db.session, target, now, actor)
    if _wants_json():  # the open sheet refreshing itself: the look was logged when it opened
        return jsonify(_as_json(shown))
    log_sensitive_list(db.session, target, shown.names_visible, now, actor)
    return _render(shown)


def _render(shown: Sheet, status: int = 200, **extra: Any) -> ResponseReturnValue:
    search = SearchForm(request.args)
    query = search.q.data or ""
    found = search_participants(db.session, query) if query and shown.names_visible else []
    return render_template(
        "attendance/host_sheet.html",
        sheet=shown,
        new_key=new_key,
        search=search,
        found=found,
        add_form=extra.pop("add_form", None) or AddPersonForm(),
        note_form=extra.pop("note_form", None) or NoteForm(note=shown.note),
        channels=CHANNEL_LABELS,
        faces=pulse.FACE_LABELS,
        **extra,
    ), status


def _as_json(shown: Sheet) -> dict[str, Any]:
    """The sheet for host.js: counts always; people only where this host may see names."""
    counts = shown.counts
    return {
        "session": shown.session.id,
        "names_visible": shown.names_visible,
        "counts": {
            "adults": counts.adults,
            "children": counts.children,
            "first_timers": counts.first_timers,
        },
        "named_visits": shown.named_visits,
        "visits": shown.visits,
        "booked_seats": shown.booked_seats,
        "pulse": {str(face): number for face, number in shown.pulse.items()},
        "closed": shown.closed_at is not None,
        "locked": shown.locked,
        "people": [
            {
                "label": card.label,
                "came": card.came,
                "booking": card.booking_id,
                "visit": card.visit_id,
                "guests": card.guests,
                "source": card.source,
            }
            for card in shown.cards
        ],
    }


def _answer(target: Session, error: HavehusError | None = None) -> ResponseReturnValue:
    """After a post: JSON of the sheet (or the refusal) for host.js, else back to the sheet."""
    if _wants_json():
        if error is not None:
            body = {"code": error.code, "message": error.message}
            return jsonify(body), STATUS.get(error.code, 400)
        return jsonify(_as_json(sheet(db.session, target, utcnow(), current_actor())))
    if error is not None:
        flash(error.message, "error")
    return redirect(url_for("host.session_sheet", session_id=target.id), 303)


def _int(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        abort(400)
    return int(raw)


@staff_required(*HOSTS)
def tap(session_id: int) -> ResponseReturnValue:
    """One tap: came / not come for a booked person, ±1 on a count, remove a check-in, a face
    for the wellbeing pulse."""
    target = _session(session_id)
    form = request.form
    key, action, now, actor = form.get("key", ""), form.get("action", ""), utcnow(), current_actor()
    try:
        if action == "came":
            services.mark_came(db.session, target, _int("booking"), key, now, actor)
        elif action == "not_came":
            services.mark_not_came(db.session, target, _int("booking"), key, now, actor)
        elif action in ("count", "uncount"):
            delta = 1 if action == "count" else -1
            services.count(db.session, target, form.get("kind", ""), delta, key, now, actor)
        elif action == "remove_visit":
            services.remove_visit(db.session, target, _int("visit"), key, now, actor)
        elif action == "pulse":
            pulse.give_pulse(db.session, target, _int("face"), key, now, actor)
        else:
            abort(400)
    except HavehusError as error:
        db.session.rollback()
        return _answer(target, error)
    db.session.commit()
    return _answer(target)


@staff_required(*HOSTS)
def add_person(session_id: int) -> ResponseReturnValue:
    """ "Add someone": a person found by the search, or a new one (a first name is enough)."""
    target = _session(session_id)
    form = AddPersonForm()
    if not form.validate_on_submit():
        return _render(sheet(db.session, target, utcnow(), current_actor()), 400, add_form=form)
    try:
        services.add_person(db.session, target, form.person(), utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render(sheet(db.session, target, utcnow(), current_actor()), 400, add_form=form)
    db.session.commit()
    return redirect(url_for("host.session_sheet", session_id=target.id), 303)


@staff_required(*HOSTS)
def note(session_id: int) -> ResponseReturnValue:
    target = _session(session_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render(sheet(db.session, target, utcnow(), current_actor()), 400, note_form=form)
    try:
        services.save_note(db.session, target, form.note.data or "", utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        return _answer(target, error)
    db.session.commit()
    flash(_("The note is saved."))
    return _answer(target)


@staff_required(*HOSTS)
def close(session_id: int) -> ResponseReturnValue:
    target = _session(session_id)
    _check_confirmed()
    try:
        marked = services.close(db.session, target, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        return _answer(target, error)
    db.session.commit()
    flash(_("The session is closed. Not come: %(num)d.", num=marked))
    return _answer(target)


@staff_required(*HOSTS)
def unlock(session_id: int) -> ResponseReturnValue:
    target = _session(session_id)
    _check_confirmed()
    try:
        services.unlock(db.session, target, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        return _answer(target, error)
    db.session.commit()
    flash(_("The session is open for changes until tomorrow. Every change is recorded."))
    return _answer(target)


def _check_confirmed() -> None:
    """Closing and unlocking come from a form with its CSRF token (checked app-wide)."""
    if request.form.get("confirm") != "yes":
        abort(400)
