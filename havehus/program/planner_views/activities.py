"""The planner's activity pages: the list, a new activity, editing one, archiving it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.i18n import offered_languages
from havehus.models import Activity
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.program.activities import (
    activity_list,
    archive_activity,
    create_activity,
    update_activity,
)
from havehus.program.activity_data import activity_data, end_time
from havehus.program.labels import language_name
from havehus.program.photos import MAX_BYTES, delete_photo, store_photo
from havehus.program.planner_forms import (
    COMMON_LANGUAGES,
    ActivityFormBase,
    VersionForm,
    activity_form,
)
from havehus.program.planner_views.common import (
    flash_summary,
    form_int,
    horizon_weeks,
    location_choices,
    paginate,
    room_choices,
    staff_host_choices,
)
from havehus.program.repeat import describe, repeat_from_rrule
from havehus.timeutil import house_tz, utcnow

#: The most a request with a photo may carry: more than a photo may be, so that a too-large
#: photo gets its message next to the field instead of an error page.
MAX_UPLOAD_REQUEST = 5 * MAX_BYTES + 1024 * 1024

#: The schedule preview: the pattern in words and its next (start, end) instants.
Preview = tuple[str, list[tuple[datetime, datetime]]]


@staff_required(*MANAGERS)
def activities() -> ResponseReturnValue:
    archived = request.args.get("archived") == "1"
    return render_template(
        "program/planner/activities.html",
        page=paginate(activity_list(archived)),
        archived=archived,
        describe=describe,
        languages=[lang.code for lang in offered_languages()],
    )


@staff_required(*MANAGERS)
def activity_new() -> ResponseReturnValue:
    request.max_content_length = MAX_UPLOAD_REQUEST
    form = _activity_form()
    if request.method == "GET":
        form.starts_on.data = utcnow().astimezone(house_tz()).date()
        return _render_activity_form(form, None)
    preview = _checked_preview(form)
    if preview is None or form.preview.data:
        return _render_activity_form(form, None, preview, 400 if preview is None else 200)
    stored = None
    try:
        photo, stored = _uploaded_photo(form, None)
        activity, summary = create_activity(
            db.session,
            form.to_data(photo),
            utcnow(),
            current_actor(),
            tz=house_tz(),
            horizon_weeks=horizon_weeks(),
            derive_slug=True,
        )
    except HavehusError as error:
        _undo_save(stored)
        show_errors(form, error, form.error_fields())
        return _render_activity_form(form, None, preview, 400)
    db.session.commit()
    created = ngettext(
        "The activity is created with %(num)d session.",
        "The activity is created with %(num)d sessions.",
        summary.created,
    )
    flash(created, "success")
    flash_summary(summary)
    return redirect(url_for("planner.activity_edit", activity_id=activity.id))


@staff_required(*MANAGERS)
def activity_edit(activity_id: int) -> ResponseReturnValue:
    request.max_content_length = MAX_UPLOAD_REQUEST
    activity = db.get_or_404(Activity, activity_id)
    form = _activity_form()
    if request.method == "GET":
        form.fill(activity_data(activity), repeat_from_rrule(activity.rrule), end_time(activity))
        form.version.data = str(activity.version)
        return _render_activity_form(form, activity)
    preview = _checked_preview(form)
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
            expected_version=form_int(form.version.data),
            tz=house_tz(),
            horizon_weeks=horizon_weeks(),
            settings=current_settings(),
        )
    except HavehusError as error:
        _undo_save(stored)
        show_errors(form, error, form.error_fields())
        status = 409 if error.code == "conflict" else 400
        return _render_activity_form(form, db.get_or_404(Activity, activity_id), preview, status)
    db.session.commit()
    if old_photo and old_photo != photo:
        delete_photo(current_app.instance_path, old_photo)
    flash(_("Saved."), "success")
    flash_summary(summary)
    return redirect(url_for("planner.activity_edit", activity_id=activity.id))


@staff_required(*MANAGERS)
def activity_archive(activity_id: int) -> ResponseReturnValue:
    activity = db.get_or_404(Activity, activity_id)
    form = VersionForm()
    now = utcnow()
    if request.method == "GET":
        form.version.data = str(activity.version)
        coming = [s for s in activity.sessions if s.starts_at > now]
        return render_template(
            "program/planner/activity_archive.html", activity=activity, form=form, coming=coming
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        summary = archive_activity(
            db.session,
            activity,
            now,
            current_actor(),
            expected_version=form_int(form.version.data),
            tz=house_tz(),
            settings=current_settings(),
        )
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("planner.activity_edit", activity_id=activity_id))
    db.session.commit()
    flash(_("The activity is archived."), "success")
    flash_summary(summary)
    return redirect(url_for("planner.activities"))


def _activity_form(**kwargs: Any) -> ActivityFormBase:
    form = activity_form([lang.code for lang in offered_languages()], **kwargs)
    form.location.choices = location_choices()
    form.room.choices = room_choices()
    form.hosts.choices = staff_host_choices()
    names = [SelectChoice(code, language_name(code)) for code in COMMON_LANGUAGES]
    form.spoken_languages.choices = names
    form.interpreter_languages.choices = names
    return form


def _checked_preview(form: ActivityFormBase) -> Preview | None:
    """The schedule preview of a valid form; None when the form has errors (shown on it)."""
    return form.schedule_preview(house_tz()) if form.validate_on_submit() else None


def _render_activity_form(
    form: ActivityFormBase,
    activity: Activity | None,
    preview: Preview | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "program/planner/activity_form.html",
            form=form,
            activity=activity,
            preview=preview,
            languages=offered_languages(),
        ),
        status,
    )


def _uploaded_photo(form: ActivityFormBase, current: str | None) -> tuple[str | None, str | None]:
    """(the photo the activity should have, a newly stored file to delete if saving fails)."""
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        data = upload.stream.read(MAX_BYTES + 1)
        name = store_photo(current_app.instance_path, data)
        return name, name
    if form.remove_photo.data:
        return None, None
    return current, None


def _undo_save(stored: str | None) -> None:
    """Roll back a failed save, and delete the photo file it stored."""
    db.session.rollback()
    delete_photo(current_app.instance_path, stored)
