"""The report page /staff/reports and its exports (managers and admins only).

The page shows exact figures; everything it exports (CSV, XLSX, the PDF summary) has its
small groups hidden (`<5`, havehus/reports/export.py). Every URL reads the same GET
parameters (summary.read_query); a bad value gets the page back with a message per field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from havehus.attendance.pulse import FACE_LABELS
from havehus.extensions import db
from havehus.paths import STATIC_DIR
from havehus.people.access import MANAGERS, staff_required
from havehus.program.labels import CATEGORY_LABELS, language_name
from havehus.reports import export
from havehus.reports.charts import svg
from havehus.reports.definitions import FIGURES
from havehus.reports.export import Cell
from havehus.reports.indicators import OUTSIDE, TOTAL, UNKNOWN, column_values
from havehus.reports.measures import WellbeingPulse
from havehus.reports.summary import (
    Choices,
    QueryErrors,
    ReportQuery,
    Summary,
    charts,
    load_choices,
    read_query,
    summarise,
)
from havehus.signup.forms import CHANNEL_LABELS
from havehus.timeutil import house_tz, utcnow

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")

#: The GET parameters a report reads (kept on the export links).
PARAMETERS = (
    "period",
    "week",
    "month",
    "quarter",
    "year",
    "from",
    "to",
    "location",
    "activity",
    "category",
    "department",
    "by",
)


def _kept_args() -> dict[str, str]:
    return {key: request.args[key] for key in PARAMETERS if request.args.get(key)}


def _group_label(group: str, by: str | None) -> str:
    if group == TOTAL:
        return _("Total")
    if group == OUTSIDE:
        return _("Outside the area")
    if group == UNKNOWN:
        return _("Not recorded")
    if by == "category":
        return str(CATEGORY_LABELS.get(group, group))
    return group


def _percent(value: Any) -> str:
    if isinstance(value, str) or value is None:
        return value or "–"
    return str(format_percent(value, "#,##0.0 %"))


def _decimal(value: Any) -> str:
    if isinstance(value, str) or value is None:
        return value or "–"
    return str(format_decimal(value, "#,##0.0"))


def _face_label(face: int) -> str:
    return str(FACE_LABELS[face])


def _profile_label(kind: str, key: str) -> str:
    if kind == "department":
        return _group_label(key, "department")
    if key == UNKNOWN:
        return _("Not recorded")
    if kind == "language":
        return language_name(key) if key else _("Not recorded")
    if kind == "channel":
        return str(CHANNEL_LABELS.get(key, key))
    return key.replace("-", "–")


def _render(
    status: int,
    choices: Choices,
    *,
    summary: Summary | None = None,
    errors: dict[str, str] | None = None,
) -> ResponseReturnValue:
    return (
        render_template(
            "reports/page.html",
            summary=summary,
            errors=errors or {},
            choices=choices,
            args=request.args,
            kept=_kept_args(),
            charts=[(item, svg(item.chart)) for item in charts(summary, hide_small=False)]
            if summary
            else [],
            period_args={"period": request.args.get("period") or "quarter"},
            category_choices=[(key, str(label)) for key, label in CATEGORY_LABELS.items()],
            table=[{"group": row.group, **column_values(row)} for row in summary.rows]
            if summary
            else [],
            figures=FIGURES,
            group_label=_group_label,
            profile_label=_profile_label,
            face_label=_face_label,
            percent=_percent,
            decimal=_decimal,
        ),
        status,
    )


def _query() -> tuple[Choices, ReportQuery | QueryErrors]:
    choices = load_choices(db.session)
    today = utcnow().astimezone(house_tz()).date()
    try:
        return choices, read_query(request.args, choices, today)
    except QueryErrors as exc:
        return choices, exc


@staff_required(*MANAGERS)
def page() -> ResponseReturnValue:
    choices, query = _query()
    if isinstance(query, QueryErrors):
        return _render(400, choices, errors=query.fields)
    return _render(200, choices, summary=summarise(db.session, query, house_tz(), utcnow()))


def _file_name(query: ReportQuery, extension: str) -> str:
    period = query.period
    return f"havehus-report-{period.first}-{period.last}-{query.by or 'total'}.{extension}"


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required(*MANAGERS)
def report_csv() -> ResponseReturnValue:
    """The report's rows as the CLI writes them: the contract's columns, small groups hidden."""
    choices, query = _query()
    if isinstance(query, QueryErrors):
        return _render(400, choices, errors=query.fields)
    summary = summarise(db.session, query, house_tz(), utcnow())
    text = export.to_csv(export.suppressed(summary.rows))
    return _download(text, "text/csv; charset=utf-8", _file_name(query, "csv"))


@staff_required(*MANAGERS)
def report_xlsx() -> ResponseReturnValue:
    choices, query = _query()
    if isinstance(query, QueryErrors):
        return _render(400, choices, errors=query.fields)
    summary = summarise(db.session, query, house_tz(), utcnow())
    body = export.to_xlsx(export.suppressed(summary.rows), query.period.name)
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _file_name(query, "xlsx"),
    )


@staff_required(*MANAGERS)
def summary_pdf() -> ResponseReturnValue:
    """A printable summary with the charts; every count of 1–4 written `<5`."""
    from weasyprint import HTML  # imported here: loading pango takes a moment

    choices, query = _query()
    if isinstance(query, QueryErrors):
        return _render(400, choices, errors=query.fields)
    summary = summarise(db.session, query, house_tz(), utcnow())
    html = render_template(
        "reports/summary_pdf.html",
        summary=summary,
        table=export.suppressed(summary.rows),
        hidden=hidden_figures(summary),
        charts=[(item, svg(item.chart)) for item in charts(summary, hide_small=True)],
        choices=choices,
        figures=FIGURES,
        made_at=utcnow(),
        group_label=_group_label,
        profile_label=_profile_label,
        face_label=_face_label,
        percent=_percent,
        decimal=_decimal,
    )
    pdf = HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()
    return _download(pdf, "application/pdf", _file_name(query, "pdf"))


def hidden_figures(summary: Summary) -> dict[str, Any]:
    """The page's further figures as the PDF prints them: counts of 1–4 (and rates made of
    them) written `<5`, and each profile's one small cell covered by the next smallest."""
    fill, reminders, refills = summary.fill, summary.reminders, summary.refills
    hide = export.hide_small
    rate = export.hide_small_rate
    total = summary.total
    return {
        "visits_per_session": rate(
            summary.visits_per_session, total.visits, total.sessions_held or 0
        ),
        "fill_rate": rate(fill.rate, fill.seats_booked),
        "reminded_rate": rate(
            reminders.reminded.rate, reminders.reminded.attended, reminders.reminded.decided
        ),
        "reminded_decided": hide([reminders.reminded.decided])[0],
        "not_reminded_rate": rate(
            reminders.not_reminded.rate,
            reminders.not_reminded.attended,
            reminders.not_reminded.decided,
        ),
        "not_reminded_decided": hide([reminders.not_reminded.decided])[0],
        "freed": hide([refills.freed])[0],
        "refilled": hide([refills.refilled])[0],
        "profile": {
            kind: dict(zip(counts, hide(list(counts.values())), strict=True))
            for kind, counts in (
                ("department", summary.profile.department),
                ("language", summary.profile.language),
                ("age_band", summary.profile.age_band),
                ("channel", summary.profile.channel),
            )
        },
        "pulse": _hidden_pulse(summary.pulse),
    }


def _hidden_pulse(pulse: WellbeingPulse | None) -> dict[int, tuple[Cell, Cell]] | None:
    """Each face's answers and share, a count of 1–4 (and its share) written `<5`, the lone
    small face covered by the next smallest."""
    if pulse is None:
        return None
    counts = export.hide_small(list(pulse.faces.values()))
    return {
        face: (count, export.SUPPRESSED if count == export.SUPPRESSED else pulse.share(face))
        for face, count in zip(pulse.faces, counts, strict=True)
    }


#: Every page: its URL, methods and view (the endpoint is the view's name).
RULES = [
    ("", ["GET"], page),
    ("/report.csv", ["GET"], report_csv),
    ("/report.xlsx", ["GET"], report_xlsx),
    ("/summary.pdf", ["GET"], summary_pdf),
]
for url, methods, view in RULES:
    bp.add_url_rule(url, view_func=view, methods=methods)
