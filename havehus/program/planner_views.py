"""The planner's pages (/staff/...): week grid, activities, sessions, closures, copying.

Managers and administrators change the program; hosts see the week and their shifts.
Each view parses the form, calls one planner service, then redirects or re-renders the form
with the errors next to the fields. Nothing is committed unless the service succeeded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import offered_languages
from havehus.models import Activity, Closure, Location, Room, Session
from havehus.models.program import CATEGORIES
from havehus.people.access import HOSTS, MANAGERS, current_actor, staff_required
from havehus.program import copy_week as copying
from havehus.program import services as program_services
from havehus.program.activities import archive_activity, create_activity, update_activity
from havehus.program.activity_data import activity_data
from havehus.program.calendar_info import danish_holidays, islamic_dates
from havehus.program.closures import create_closure, delete_closure, preview_closure
from havehus.program.conflicts import conflicts_for, week_conflicts
from havehus.program.hosts import effective_hosts, host_choices
from havehus.program.labels import CATEGORY_LABELS, language_name
from havehus.program.photos import MAX_BYTES, NAME, delete_photo, photo_dir, store_photo
from havehus.program.planner_forms import (
    ACTIVITY_ERROR_FIELDS,
    COMMON_LANGUAGES,
    SCOPE_LABELS,
    CancelForm,
    ClosureForm,
    CopyWeekForm,
    HostsForm,
    NewSessionForm,
    PlannerFilterForm,
    SessionForm,
    VersionForm,
    activity_form,
)
from havehus.program.poster import PAPER_SIZES, render_poster
from havehus.program.repeat import describe, preview_starts, repeat_from_rrule
from havehus.program.results import ChangeSummary, Conflict
from havehus.program.series import SeriesChange, edit_series
from havehus.program.sessions import add_session, assign_hosts, move_session, reinstate_session
from havehus.program.week import planner_week
from havehus.timeutil import house_tz, iso_week_label, parse_iso_week, utcnow

bp = Blueprint("planner", __name__, url_prefix="/staff")
#: Activity photos are public, like the program they illustrate.
photos_bp = Blueprint("photos", __name__)

PER_PAGE = 25
#: The most a request with a photo may carry: more than a photo may be, so that a too-large
#: photo gets its message next to the field instead of an error page.
MAX_UPLOAD_REQUEST = 5 * MAX_BYTES + 1024 * 1024


def _horizon() -> int:
    return int(current_app.config["HAVEHUS_HORIZON_WEEKS"])


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _monday_or_404(week: str) -> date:
    try:
        return parse_iso_week(week)
    except ValueError:
        abort(404)


def _show_errors(form: FlaskForm, error: HavehusError, names: dict[str, str] | None = None):
    """Put a service's field errors next to the form's fields; others become a flash."""
    unplaced = []
    for name, message in error.fields.items():
        target = (names or {}).get(name, name)
        if target in form:
            form[target].errors = [*form[target].errors, message]
        else:
            unplaced.append(message)
    if not error.fields or unplaced:
        flash(" ".join([error.message, *unplaced]), "error")


def _flash_summary(summary: ChangeSummary) -> None:
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
    for conflict in summary.warnings:
        flash(_conflict_text(conflict), "warning")


def _conflict_text(conflict: Conflict) -> str:
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


def _room_choices() -> list[tuple[int, str]]:
    rooms = db.session.scalars(
        select(Room).join(Room.location).order_by(Location.name, Room.name)
    ).all()
    return [SelectChoice(0, _("No room"))] + [
        SelectChoice(r.id, f"{r.location.name} – {r.name}") for r in rooms
    ]


def _location_choices() -> list[tuple[int, str]]:
    places = db.session.scalars(select(Location).order_by(Location.name)).all()
    return [SelectChoice(0, _("No location"))] + [SelectChoice(p.id, p.name) for p in places]


def _host_choices() -> list[tuple[int, str]]:
    return [SelectChoice(u.id, u.name or u.email) for u in host_choices(db.session)]


# ---------------------------------------------------------------- the week


@bp.get("/week/<week>")
@staff_required(*HOSTS)
def week(week: str) -> ResponseReturnValue:
    monday = _monday_or_404(week)
    if week != iso_week_label(monday):
        return redirect(url_for("planner.week", week=iso_week_label(monday), **request.args))
    tz = house_tz()
    filters = PlannerFilterForm(request.args)
    filters.room.choices = [SelectChoice(0, _("All rooms"))] + _room_choices()[1:]
    filters.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES
    ]
    category = filters.category.data if filters.category.data in CATEGORIES else None
    days = planner_week(
        db.session,
        monday,
        tz,
        room_id=filters.room.data or None,
        category=category,
        host_id=current_user.id if filters.mine.data else None,
    )
    sunday = monday + timedelta(days=6)
    closures = db.session.scalars(
        select(Closure).where(Closure.starts_on <= sunday, Closure.ends_on >= monday)
    ).all()
    args = {k: v for k, v in request.args.items() if k in ("room", "category", "mine")}
    return render_template(
        "planner/week.html",
        days=days,
        monday=monday,
        sunday=sunday,
        week_label=iso_week_label(monday),
        previous_week=iso_week_label(monday - timedelta(days=7)),
        next_week=iso_week_label(monday + timedelta(days=7)),
        this_week=iso_week_label(utcnow().astimezone(tz).date()),
        filters=filters,
        filter_args=args,
        holidays=danish_holidays(monday, sunday),
        islamic=islamic_dates(monday, sunday),
        closures=closures,
        conflicts=week_conflicts(db.session, monday, sunday, tz),
        conflict_text=_conflict_text,
        effective_hosts=effective_hosts,
        can_edit=current_user.role in MANAGERS,
        languages=offered_languages(),
        paper_sizes=PAPER_SIZES,
    )


@bp.get("/week/<week>/poster")
@staff_required(*HOSTS)
def poster(week: str) -> ResponseReturnValue:
    """The public program of the week as an A4 or A3 PDF, in the ticked languages."""
    monday = _monday_or_404(week)
    offered = [lang.code for lang in offered_languages()]
    languages = [code for code in offered if code in request.args.getlist("lang")] or offered[:1]
    size = request.args.get("size", "A4").upper()
    if size not in PAPER_SIZES:
        size = "A4"
    tz = house_tz()
    today = utcnow().astimezone(tz).date()
    days = program_services.week_program(db.session, monday, today, tz)
    base = current_app.config["HAVEHUS_PUBLIC_URL"].rstrip("/")
    label = iso_week_label(monday)
    signup_slugs = {
        entry.activity.slug
        for day in days
        for entry in day.entries
        if entry.activity.mode != "drop_in"
    }
    pdf = render_poster(
        days,
        monday,
        languages,
        size,
        base + url_for("program.week", week=label),
        {slug: base + url_for("program.activity", slug=slug) for slug in sorted(signup_slugs)},
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="havehus-{label}-{size}.pdf"'
    return response


@bp.get("/week")
@staff_required(*HOSTS)
def this_week() -> ResponseReturnValue:
    today = utcnow().astimezone(house_tz()).date()
    return redirect(url_for("planner.week", week=iso_week_label(today)))


# ---------------------------------------------------------------- activities


@bp.get("/activities")
@staff_required(*MANAGERS)
def activities() -> ResponseReturnValue:
    archived = request.args.get("archived") == "1"
    query = select(Activity).options(selectinload(Activity.location))
    if archived:
        query = query.where(Activity.archived_at.is_not(None))
    else:
        query = query.where(Activity.archived_at.is_(None))
    page = db.paginate(
        query.order_by(Activity.slug), page=_page(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "planner/activities.html",
        page=page,
        archived=archived,
        describe=describe,
        languages=[lang.code for lang in offered_languages()],
    )


def _activity_form(**kwargs: Any):
    form = activity_form([lang.code for lang in offered_languages()], **kwargs)
    form.location.choices = _location_choices()
    form.room.choices = _room_choices()
    form.hosts.choices = _host_choices()
    names = [SelectChoice(code, language_name(code)) for code in COMMON_LANGUAGES]
    form.spoken_languages.choices = names
    form.interpreter_languages.choices = names
    return form


def _render_activity_form(form, activity: Activity | None, preview=None, status: int = 200):
    return (
        render_template(
            "planner/activity_form.html",
            form=form,
            activity=activity,
            preview=preview,
            languages=offered_languages(),
        ),
        status,
    )


def _preview(form) -> tuple[str, list[tuple[datetime, datetime]]] | None:
    """The pattern in words and its next dates, or None (errors put on the form)."""
    if form.missing_end():
        for name, message in form.missing_end().items():
            form[name].errors = [*form[name].errors, message]
        return None
    data = form.to_data(None)
    if data.duration_minutes is None or data.duration_minutes <= 0:
        form.end_time.errors = [*form.end_time.errors, _("The end must be after the start.")]
        return None
    try:
        dates = preview_starts(
            data.rrule, data.starts_on, data.start_time, data.duration_minutes, house_tz()
        )
    except HavehusError as error:
        target = form.rule if form.repeat.data == "custom" else form.repeat
        target.errors = [*target.errors, error.message]
        return None
    if not dates:
        form.repeat.errors = [
            *form.repeat.errors,
            _("This pattern never happens. Check the days and the end."),
        ]
        return None
    return describe(data.rrule, data.starts_on, data.start_time, data.duration_minutes), dates


def _uploaded_photo(form, current: str | None) -> tuple[str | None, str | None]:
    """(the photo the activity should have, a newly stored file to delete if saving fails)."""
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        data = upload.stream.read(MAX_BYTES + 1)
        name = store_photo(current_app.instance_path, data)
        return name, name
    if form.remove_photo.data:
        return None, None
    return current, None


@bp.route("/activities/new", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def activity_new() -> ResponseReturnValue:
    request.max_content_length = MAX_UPLOAD_REQUEST
    form = _activity_form()
    if request.method == "GET":
        form.starts_on.data = utcnow().astimezone(house_tz()).date()
        return _render_activity_form(form, None)
    if not form.validate_on_submit():
        return _render_activity_form(form, None, status=400)
    preview = _preview(form)
    if preview is None or form.preview.data:
        return _render_activity_form(form, None, preview, 400 if preview is None else 200)
    now = utcnow()
    stored = None
    try:
        photo, stored = _uploaded_photo(form, None)
        activity, summary = create_activity(
            db.session,
            form.to_data(photo),
            now,
            current_actor(),
            tz=house_tz(),
            horizon_weeks=_horizon(),
            derive_slug=True,
        )
    except HavehusError as error:
        db.session.rollback()
        delete_photo(current_app.instance_path, stored)
        _show_errors(form, error, ACTIVITY_ERROR_FIELDS)
        return _render_activity_form(form, None, preview, 400)
    db.session.commit()
    flash(
        ngettext(
            "The activity is created with %(num)d session.",
            "The activity is created with %(num)d sessions.",
            summary.created,
        ),
        "success",
    )
    _flash_summary(summary)
    return redirect(url_for("planner.activity_edit", activity_id=activity.id))


def _activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def activity_edit(activity_id: int) -> ResponseReturnValue:
    request.max_content_length = MAX_UPLOAD_REQUEST
    activity = _activity_or_404(activity_id)
    form = _activity_form()
    if request.method == "GET":
        data = activity_data(activity)
        end = (
            datetime.combine(activity.starts_on, activity.start_time)
            + timedelta(minutes=activity.duration_minutes)
        ).time()
        form.fill(data, repeat_from_rrule(activity.rrule), end)
        form.version.data = str(activity.version)
        return _render_activity_form(form, activity)
    if not form.validate_on_submit():
        return _render_activity_form(form, activity, status=400)
    preview = _preview(form)
    if preview is None or form.preview.data:
        return _render_activity_form(form, activity, preview, 400 if preview is None else 200)
    old_photo, stored = activity.photo, None
    try:
        photo, stored = _uploaded_photo(form, activity.photo)
        summary = update_activity(
            db.session,
            activity,
            form.to_data(photo),
            utcnow(),
            current_actor(),
            expected_version=_int(form.version.data),
            tz=house_tz(),
            horizon_weeks=_horizon(),
        )
    except HavehusError as error:
        db.session.rollback()
        delete_photo(current_app.instance_path, stored)
        _show_errors(form, error, ACTIVITY_ERROR_FIELDS)
        return _render_activity_form(
            form, _activity_or_404(activity_id), preview, 409 if error.code == "conflict" else 400
        )
    db.session.commit()
    if old_photo and old_photo != photo:
        delete_photo(current_app.instance_path, old_photo)
    flash(_("Saved."), "success")
    _flash_summary(summary)
    return redirect(url_for("planner.activity_edit", activity_id=activity.id))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/activities/<int:activity_id>/archive", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def activity_archive(activity_id: int) -> ResponseReturnValue:
    activity = _activity_or_404(activity_id)
    form = VersionForm()
    now = utcnow()
    if request.method == "GET":
        form.version.data = str(activity.version)
        coming = [s for s in activity.sessions if s.starts_at > now]
        return render_template(
            "planner/activity_archive.html", activity=activity, form=form, coming=coming
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        summary = archive_activity(
            db.session,
            activity,
            now,
            current_actor(),
            expected_version=_int(form.version.data),
            tz=house_tz(),
        )
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("planner.activity_edit", activity_id=activity_id))
    db.session.commit()
    flash(_("The activity is archived."), "success")
    _flash_summary(summary)
    return redirect(url_for("planner.activities"))


@bp.route("/activities/<int:activity_id>/sessions/new", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def session_new(activity_id: int) -> ResponseReturnValue:
    activity = _activity_or_404(activity_id)
    form = NewSessionForm()
    form.room.choices = _room_choices()
    if request.method == "GET":
        form.start_time.data = activity.start_time
        form.end_time.data = (
            datetime.combine(date.min, activity.start_time)  # any day: only the time matters
            + timedelta(minutes=activity.duration_minutes)
        ).time()
        form.room.data = activity.room_id or 0
        return render_template("planner/session_new.html", form=form, activity=activity)
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
            _show_errors(form, error, {"room_id": "room"})
        else:
            db.session.commit()
            flash(_("The session is added."), "success")
            _flash_summary(summary)
            return redirect(url_for("planner.session_edit", session_id=session.id))
    return render_template("planner/session_new.html", form=form, activity=activity), 400


# ---------------------------------------------------------------- one session


def _session_or_404(session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None:
        abort(404)
    return session


def _session_page(session: Session, form: SessionForm, hosts_form: HostsForm, status: int = 200):
    now = utcnow()
    return (
        render_template(
            "planner/session.html",
            session=session,
            form=form,
            hosts_form=hosts_form,
            confirm=FlaskForm(),
            can_edit=current_user.role in MANAGERS and session.starts_at > now,
            conflicts=conflicts_for(db.session, [session], house_tz()),
            conflict_text=_conflict_text,
            effective_hosts=effective_hosts(session),
            now=now,
        ),
        status,
    )


def _session_forms(session: Session) -> tuple[SessionForm, HostsForm]:
    form = SessionForm()
    form.room.choices = _room_choices()
    hosts_form = HostsForm(prefix="rota")
    hosts_form.hosts.choices = _host_choices()
    if session.activity.rrule is None:
        form.scope.choices = [SelectChoice("this", SCOPE_LABELS["this"])]
    return form, hosts_form


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@staff_required(*HOSTS)
def session_edit(session_id: int) -> ResponseReturnValue:
    session = _session_or_404(session_id)
    form, hosts_form = _session_forms(session)
    if request.method == "GET":
        tz = house_tz()
        form.sequence.data = str(session.sequence)
        form.day.data = session.starts_at.astimezone(tz).date()
        form.start_time.data = session.starts_at.astimezone(tz).time()
        form.end_time.data = session.ends_at.astimezone(tz).time()
        form.room.data = session.effective_room.id if session.effective_room else 0
        hosts_form.hosts.data = [h.id for h in session.hosts]
        return _session_page(session, form, hosts_form)
    if current_user.role not in MANAGERS:
        abort(403)
    if not form.validate_on_submit():
        return _session_page(session, form, hosts_form, 400)
    tz = house_tz()
    now = utcnow()
    try:
        if form.scope.data == "this":
            summary = move_session(
                db.session,
                session,
                form.day.data,
                form.start_time.data,
                form.end_time.data,
                form.room.data or None,
                now,
                current_actor(),
                tz=tz,
                expected_sequence=_int(form.sequence.data),
            )
        else:
            old_day = session.starts_at.astimezone(tz).date()
            change = SeriesChange(
                start_time=form.start_time.data,
                end_time=form.end_time.data,
                weekday=form.day.data.weekday() if form.day.data != old_day else None,
            )
            summary = edit_series(
                db.session,
                session,
                form.scope.data,
                change,
                now,
                current_actor(),
                tz=tz,
                horizon_weeks=_horizon(),
            )
    except HavehusError as error:
        db.session.rollback()
        _show_errors(form, error, {"room_id": "room", "duration_minutes": "end_time"})
        return _session_page(_session_or_404(session_id), form, hosts_form, 400)
    db.session.commit()
    flash(_("Saved."), "success")
    _flash_summary(summary)
    if db.session.get(Session, session_id) is None:
        return redirect(url_for("planner.activity_edit", activity_id=session.activity_id))
    return redirect(url_for("planner.session_edit", session_id=session_id))


@bp.post("/sessions/<int:session_id>/hosts")
@staff_required(*MANAGERS)
def session_hosts(session_id: int) -> ResponseReturnValue:
    session = _session_or_404(session_id)
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
        _show_errors(hosts_form, error, {"host_ids": "hosts"})
        return _session_page(_session_or_404(session_id), form, hosts_form, 400)
    db.session.commit()
    flash(_("The shift is saved."), "success")
    for conflict in warnings:
        flash(_conflict_text(conflict), "warning")
    return redirect(url_for("planner.session_edit", session_id=session_id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def session_cancel(session_id: int) -> ResponseReturnValue:
    session = _session_or_404(session_id)
    form = CancelForm()
    if session.activity.rrule is None:
        form.scope.choices = [SelectChoice("this", SCOPE_LABELS["this"])]
    if request.method == "GET":
        return render_template("planner/session_cancel.html", session=session, form=form)
    if not form.validate_on_submit():
        return render_template("planner/session_cancel.html", session=session, form=form), 400
    if form.confirm.data != "yes":
        # The first submit shows what will happen; the second one does it.
        affected = _cancel_affected(session, form.scope.data)
        return render_template(
            "planner/session_cancel.html", session=session, form=form, affected=affected
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
            horizon_weeks=_horizon(),
        )
    except HavehusError as error:
        db.session.rollback()
        _show_errors(form, error)
        return render_template("planner/session_cancel.html", session=session, form=form), 400
    db.session.commit()
    flash(
        ngettext(
            "%(num)d session is cancelled.",
            "%(num)d sessions are cancelled.",
            len(summary.cancelled),
        ),
        "success",
    )
    _flash_summary(summary)
    return redirect(url_for("planner.session_edit", session_id=session_id))


def _cancel_affected(session: Session, scope: str) -> list[Session]:
    if scope == "this":
        return [session]
    now = utcnow()
    cutoff = session.starts_at if scope == "following" else now
    return [
        s
        for s in session.activity.sessions
        if s.starts_at >= cutoff and s.starts_at > now and s.status == "scheduled"
    ]


@bp.post("/sessions/<int:session_id>/reinstate")
@staff_required(*MANAGERS)
def session_reinstate(session_id: int) -> ResponseReturnValue:
    session = _session_or_404(session_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        summary = reinstate_session(db.session, session, utcnow(), current_actor(), tz=house_tz())
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The session takes place again."), "success")
        _flash_summary(summary)
    return redirect(url_for("planner.session_edit", session_id=session_id))


# ---------------------------------------------------------------- closures


@bp.route("/closures", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def closures() -> ResponseReturnValue:
    form = ClosureForm()
    form.location.choices = [
        SelectChoice(0, _("The whole house (every location)"))
    ] + _location_choices()[1:]
    tz = house_tz()
    today = utcnow().astimezone(tz).date()
    if request.method == "GET" and request.args.get("day"):
        try:
            day = date.fromisoformat(request.args["day"])
        except ValueError:
            abort(404)
        form.starts_on.data = form.ends_on.data = day
        form.reason.data = request.args.get("reason", "")[:200]
    affected = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        elif form.confirm.data != "yes":
            try:
                affected = preview_closure(
                    db.session,
                    form.starts_on.data,
                    form.ends_on.data,
                    form.reason.data,
                    form.location.data or None,
                    tz=tz,
                )
            except HavehusError as error:
                _show_errors(form, error, {"location_id": "location"})
                status = 400
        else:
            try:
                _closure, summary = create_closure(
                    db.session,
                    form.starts_on.data,
                    form.ends_on.data,
                    form.reason.data,
                    form.location.data or None,
                    utcnow(),
                    current_actor(),
                    tz=tz,
                )
            except HavehusError as error:
                db.session.rollback()
                _show_errors(form, error, {"location_id": "location"})
                status = 400
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "The closure is saved; %(num)d session is cancelled.",
                        "The closure is saved; %(num)d sessions are cancelled.",
                        len(summary.cancelled),
                    ),
                    "success",
                )
                _flash_summary(summary)
                return redirect(url_for("planner.closures"))
    page = db.paginate(
        select(Closure).where(Closure.ends_on >= today).order_by(Closure.starts_on),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    year_end = date(today.year + 1, 12, 31)
    return (
        render_template(
            "planner/closures.html",
            form=form,
            affected=affected,
            page=page,
            holidays=danish_holidays(today, year_end),
            islamic=islamic_dates(today, year_end),
            locations={loc.id: loc.name for loc in db.session.scalars(select(Location))},
            confirm=FlaskForm(),
        ),
        status,
    )


@bp.post("/closures/<int:closure_id>/delete")
@staff_required(*MANAGERS)
def closure_delete(closure_id: int) -> ResponseReturnValue:
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    delete_closure(db.session, closure, utcnow(), current_actor())
    db.session.commit()
    flash(_("The closure is removed. Sessions it cancelled stay cancelled."), "success")
    return redirect(url_for("planner.closures"))


# ---------------------------------------------------------------- copying a week


@bp.route("/week/<week>/copy", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def copy_week(week: str) -> ResponseReturnValue:
    monday = _monday_or_404(week)
    tz = house_tz()
    form = CopyWeekForm()
    if request.method == "GET":
        form.target.data = iso_week_label(monday + timedelta(days=7))
    items = None
    status = 200
    if request.method == "POST":
        target = None
        if form.validate_on_submit():
            try:
                target = parse_iso_week((form.target.data or "").strip().upper())
            except ValueError:
                form.target.errors = [_("Write the week as YYYY-Www, e.g. 2026-W12.")]
        if target is None:
            status = 400
        elif form.confirm.data != "yes":
            items = copying.copy_week_preview(db.session, monday, target, tz)
        else:
            try:
                summary = copying.copy_week(
                    db.session, monday, target, utcnow(), current_actor(), tz=tz
                )
            except HavehusError as error:
                db.session.rollback()
                _show_errors(form, error)
                status = 400
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d session is copied.",
                        "%(num)d sessions are copied.",
                        summary.created,
                    ),
                    "success",
                )
                _flash_summary(summary)
                return redirect(url_for("planner.week", week=iso_week_label(target)))
    return (
        render_template(
            "planner/copy_week.html",
            form=form,
            items=items,
            week_label=iso_week_label(monday),
            monday=monday,
            source=copying.one_off_sessions(db.session, monday, tz),
        ),
        status,
    )


@photos_bp.get("/photos/<name>")
def photo(name: str) -> ResponseReturnValue:
    """A stored activity photo (random names; only files the planner wrote)."""
    if not NAME.match(name):
        abort(404)
    response = send_from_directory(photo_dir(current_app.instance_path), name, max_age=86400)
    return response
