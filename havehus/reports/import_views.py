"""History in on the web: managers upload the import files at /staff/reports/import.

The same services as `havehus import-departments` and `havehus import-attendance`; a file with
bad rows is shown back with each row's line number and imports nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.reports.import_forms import ImportForm
from havehus.reports.imports import (
    ATTENDANCE_HEADER,
    DEPARTMENT_HEADER,
    MAX_BYTES,
    ImportResult,
    import_attendance,
    import_departments,
)
from havehus.timeutil import house_tz, utcnow

bp = Blueprint("reports_import", __name__, url_prefix="/staff/reports")
#: A file somewhat over the limit still reaches the service, which says how large it may be.
MAX_UPLOAD_REQUEST = 2 * MAX_BYTES
#: The most bad rows the page lists (the count says how many there were).
SHOWN_ERRORS = 200


@bp.get("/import")
@staff_required(*MANAGERS)
def import_page() -> ResponseReturnValue:
    return _render()


@bp.post("/import/departments")
@staff_required(*MANAGERS)
def import_departments_upload() -> ResponseReturnValue:
    return _upload("departments")


@bp.post("/import/attendance")
@staff_required(*MANAGERS)
def import_attendance_upload() -> ResponseReturnValue:
    return _upload("attendance")


def _forms() -> dict[str, ImportForm]:
    return {kind: ImportForm(prefix=kind) for kind in ("departments", "attendance")}


def _render(
    forms: dict[str, ImportForm] | None = None,
    result: ImportResult | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "reports/import.html",
        forms=forms or _forms(),
        result=result,
        shown_errors=SHOWN_ERRORS,
        headers={
            "departments": ",".join(DEPARTMENT_HEADER),
            "attendance": ",".join(ATTENDANCE_HEADER),
        },
    ), status


def _upload(kind: str) -> ResponseReturnValue:
    request.max_content_length = MAX_UPLOAD_REQUEST
    forms = _forms()
    form = forms[kind]
    if not form.validate_on_submit():
        return _render(forms, status=400)
    data = form.file.data.read(MAX_UPLOAD_REQUEST)
    try:
        if kind == "departments":
            result = import_departments(db.session, data, utcnow(), current_actor())
        else:
            result = import_attendance(
                db.session,
                data,
                utcnow(),
                current_actor(),
                tz=house_tz(),
                secret=current_settings().secret_key,
            )
    except HavehusError:  # only managers reach here: the service agrees, or refuses
        db.session.rollback()
        abort(403)
    if result.errors:
        db.session.rollback()
        return _render(forms, result, 400)
    db.session.commit()
    for line in result.summary():
        flash(line, "success")
    return redirect(url_for("reports_import.import_page"))
