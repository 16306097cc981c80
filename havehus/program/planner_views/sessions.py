"""The planner's session pages: add a one-off, move or retime, the shift, cancel, reinstate,
and the printable check-in sign."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.i18n import offered_languages
from havehus.models import Activity, Session, SessionStatus
from havehus.people.access import HOSTS, MANAGERS, current_actor, staff_required
from havehus.program.activity_data import end_time
from havehus.program.check_in_link import check_in_url
from havehus.program.conflicts import conflicts_for
from havehus.program.hosts import effective_hosts
from havehus.program.planner_forms import (
    SCOPE_LABELS,
    CancelForm,
    HostsForm,
    NewSessionForm,
    SessionForm,
)
from havehus.program.planner_views.common import (
    conflict_text,
    flash_conflicts,
    flash_summary,
    form_int,
    horizon_weeks,
    room_choices,
    staff_host_choices,
)
from havehus.program.poster import render_sign
from havehus.program.results import ChangeSummary
from havehus.program.series import SeriesChange, edit_series, sessions_to_cancel
from havehus.program.sessions import add_session, assign_hosts, move_session, reinstate_session
from havehus.timeutil import house_tz, utcnow
from havehus.webforms import Form

#: Where the session form shows a service's field error.
SESSION_ERROR_FIELDS = {"room_id": "room", "duration_minutes": "end_time"}


@staff_required(*MANAGERS)
def session_new(activity_id: int) -> ResponseReturnValue:
    activity = db.get_or_404(Activity, activity_id)
    form = NewSessionForm()
    form.room.choices = room_choices()
    if request.method == "GET":
        form.start_time.data = activity.start_time
        form.end_time.data = end_time(activity)
        form.room.data = activity.room_id or 0
        return render_template("program/planner/session_new.html", form=form, activity=activity)
    if form.validate_on_submit():
        try:
            session, summary = add_session(
                db.session,
                activity,
                form.day.data,
                form.start_time.data,
                form.end_time.data,
                form.room.data or None,
                utcnow(),
                current_actor(),
                tz=house_tz(),
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, {"room_id": "room"})
        else:
            db.session.commit()
            flash(_("The session is added."), "success")
            flash_summary(summary)
            return redirect(url_for("planner.session_edit", session_id=session.id))
    return render_template("program/planner/session_new.html", form=form, activity=activity), 400


@staff_required(*HOSTS)
def session_edit(session_id: int) -> ResponseReturnValue:
    session = db.get_or_404(Session, session_id)
    form, hosts_form = _session_forms(session)
    if request.method == "GET":
        _fill(form, hosts_form, session)
        return _session_page(session, form, hosts_form)
    if current_user.role not in MANAGERS:
        abort(403)
    if not form.validate_on_submit():
        return _session_page(session, form, hosts_form, 400)
    try:
        summary = _save_session_form(session, form)
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error, SESSION_ERROR_FIELDS)
        return _session_page(db.get_or_404(Session, session_id), form, hosts_form, 400)
    db.session.commit()
    flash(_("Saved."), "success")
    flash_summary(summary)
    if db.session.get(Session, session_id) is None:
        # A new pattern without this session's day deleted it (nobody had booked).
        return redirect(url_for("planner.activity_edit", activity_id=session.activity_id))
    return redirect(url_for("planner.session_edit", session_id=session_id))


def _save_session_form(session: Session, form: SessionForm) -> ChangeSummary:
    """Move this session only, or change the series from it (the form's scope)."""
    tz = house_tz()
    if form.scope.data == "this":
        return move_session(
            db.session,
            session,
            form.day.data,
            form.start_time.data,
            form.end_time.data,
            form.room.data or None,
            utcnow(),
            current_actor(),
            tz=tz,
            expected_sequence=form_int(form.sequence.data),
            settings=current_settings(),
        )
    old_day = session.starts_at.astimezone(tz).date()
    change = SeriesChange(
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        weekday=form.day.data.weekday() if form.day.data != old_day else None,
    )
    return edit_series(
        db.session,
        session,
        form.scope.data,
        change,
        utcnow(),
        current_actor(),
        tz=tz,
        horizon_weeks=horizon_weeks(),
        settings=current_settings(),
    )


@staff_required(*MANAGERS)
def session_hosts(session_id: int) -> ResponseReturnValue:
    session = db.get_or_404(Session, session_id)
    form, hosts_form = _session_forms(session)
    if not hosts_form.validate_on_submit():
        return _session_page(session, form, hosts_form, 400)
    try:
        warnings = assign_hosts(
            db.session,
            session,
            hosts_form.hosts.data or [],
            utcnow(),
            current_actor(),
            tz=house_tz(),
        )
    except HavehusError as error:
        db.session.rollback()
        show_errors(hosts_form, error, {"host_ids": "hosts"})
        return _session_page(db.get_or_404(Session, session_id), form, hosts_form, 400)
    db.session.commit()
    flash(_("The shift is saved."), "success")
    flash_conflicts(warnings)
    return redirect(url_for("planner.session_edit", session_id=session_id))


@staff_required(*MANAGERS)
def session_cancel(session_id: int) -> ResponseReturnValue:
    session = db.get_or_404(Session, session_id)
    form = CancelForm()
    if session.activity.rrule is None:
        form.scope.choices = [SelectChoice("this", SCOPE_LABELS["this"])]
    if request.method == "GET":
        return render_template("program/planner/session_cancel.html", session=session, form=form)
    if not form.validate_on_submit():
        return render_template(
            "program/planner/session_cancel.html", session=session, form=form
        ), 400
    if form.confirm.data != "yes":
        # The first submit shows what will happen; the second one does it.
        affected = sessions_to_cancel(db.session, session, form.scope.data, utcnow())
        return render_template(
            "program/planner/session_cancel.html", session=session, form=form, affected=affected
        )
    try:
        summary = edit_series(
            db.session,
            session,
            form.scope.data,
            SeriesChange(cancel_reason=form.reason.data),
            utcnow(),
            current_actor(),
            tz=house_tz(),
            horizon_weeks=horizon_weeks(),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error)
        return render_template(
            "program/planner/session_cancel.html", session=session, form=form
        ), 400
    db.session.commit()
    cancelled = ngettext(
        "%(num)d session is cancelled.", "%(num)d sessions are cancelled.", len(summary.cancelled)
    )
    flash(cancelled, "success")
    flash_summary(summary)
    return redirect(url_for("planner.session_edit", session_id=session_id))


@staff_required(*MANAGERS)
def session_reinstate(session_id: int) -> ResponseReturnValue:
    session = db.get_or_404(Session, session_id)
    if not Form().validate_on_submit():
        abort(400)
    try:
        summary = reinstate_session(
            db.session,
            session,
            utcnow(),
            current_actor(),
            tz=house_tz(),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The session takes place again."), "success")
        flash_summary(summary)
    return redirect(url_for("planner.session_edit", session_id=session_id))


def _session_forms(session: Session) -> tuple[SessionForm, HostsForm]:
    form = SessionForm()
    form.room.choices = room_choices()
    hosts_form = HostsForm(prefix="rota")
    hosts_form.hosts.choices = staff_host_choices()
    if session.activity.rrule is None:
        form.scope.choices = [SelectChoice("this", SCOPE_LABELS["this"])]
    return form, hosts_form


def _fill(form: SessionForm, hosts_form: HostsForm, session: Session) -> None:
    """The forms as the session is now (the GET of its page)."""
    tz = house_tz()
    form.sequence.data = str(session.sequence)
    form.day.data = session.starts_at.astimezone(tz).date()
    form.start_time.data = session.starts_at.astimezone(tz).time()
    form.end_time.data = session.ends_at.astimezone(tz).time()
    form.room.data = session.effective_room.id if session.effective_room else 0
    hosts_form.hosts.data = [h.id for h in session.hosts]


def _session_page(
    session: Session, form: SessionForm, hosts_form: HostsForm, status: int = 200
) -> ResponseReturnValue:
    now = utcnow()
    return (
        render_template(
            "program/planner/session.html",
            session=session,
            form=form,
            hosts_form=hosts_form,
            confirm=Form(),
            can_edit=current_user.role in MANAGERS and session.starts_at > now,
            conflicts=conflicts_for(db.session, [session], house_tz()),
            conflict_text=conflict_text,
            effective_hosts=effective_hosts(session),
            languages=offered_languages(),
            now=now,
        ),
        status,
    )


@staff_required(*HOSTS)
def session_sign(session_id: int) -> ResponseReturnValue:
    """The session's check-in sign (A4 PDF): a big QR code that opens its check-in page,
    with the call to scan in the ticked languages (all of them when none is ticked)."""
    session = db.get_or_404(Session, session_id)
    if session.status == SessionStatus.CANCELLED:
        flash(_("The session is cancelled: there is no check-in to print."), "error")
        return redirect(url_for("planner.session_edit", session_id=session.id))
    offered = [lang.code for lang in offered_languages()]
    languages = [code for code in offered if code in request.args.getlist("lang")] or offered
    pdf = render_sign(session, languages, check_in_url(session.id, current_settings()))
    response = Response(pdf, mimetype="application/pdf")
    name = f"havehus-session-{session.id}-check-in.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
