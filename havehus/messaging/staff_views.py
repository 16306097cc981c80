"""Staff pages of messaging: the outbox, replies, the text preview and broadcasts (/staff/...)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp

from havehus.config import current_settings
from havehus.dbutil import db_int
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.i18n import KNOWN_LANGUAGES
from havehus.input_guard import page_number
from havehus.messaging import broadcasts, guards, preview, staff_lists
from havehus.models import InboundMessage, MessageStatus, OutboundMessage
from havehus.models.messaging import MESSAGE_KINDS, MESSAGE_STATUSES
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.timeutil import utcnow
from havehus.validators import max_length, required
from havehus.webforms import Form

bp = Blueprint("messages", __name__, url_prefix="/staff")

PER_PAGE = 50

#: Each status as a word and a sign, so it never rests on colour alone.
STATUS_LABELS: dict[str, tuple[str, Any]] = {
    MessageStatus.PENDING: ("…", _l("Waiting")),
    MessageStatus.CLAIMED: ("↻", _l("Being sent")),
    MessageStatus.SENT: ("→", _l("Sent")),
    MessageStatus.DELIVERED: ("✓", _l("Delivered")),
    MessageStatus.UNDELIVERED: ("✗", _l("Not delivered")),
    MessageStatus.FAILED: ("✗", _l("Failed")),
    MessageStatus.UNKNOWN: ("?", _l("Unknown – being checked")),
    MessageStatus.SKIPPED: ("–", _l("Not sent")),
}
KIND_LABELS = {
    "confirmation": _l("Confirmation"),
    "reminder": _l("Reminder"),
    "change": _l("Change"),
    "waitlist-promotion": _l("Seat from the waiting list"),
    "follow-up": _l("Follow-up"),
    "broadcast": _l("Broadcast"),
    "shift": _l("Host shift"),
    "link": _l("Link"),
    "code": _l("Code"),
}
VARIANT_LABELS = {
    "seat": _l("a seat"),
    "waitlist": _l("on the waiting list"),
    "cancelled": _l("cancelled"),
    "moved": _l("moved"),
    "offer": _l("offer held"),
    "drop-in": _l("drop-in, asked for"),
    "companion": _l("to the companion"),
}
REPLY_LABELS = {
    "yes": _l("Yes"),
    "no": _l("No / cancel"),
    "stop": _l("Stop all texts"),
    "start": _l("Start texts again"),
    "help": _l("Help"),
    "other": _l("Not understood"),
}
PURPOSE_LABELS = {
    "practical": _l("Practical notice to those who booked (a change, the weather…)"),
    "marketing": _l("News (only to people who agreed to get news)"),
}


class OutboxFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), default="", validate_choice=True)
    kind = SelectField(_l("Kind"), default="", validate_choice=True)
    digits = StringField(
        _l("Last 4 digits of the number"),
        validators=[
            Optional(),
            Regexp(r"^\d{4}$", message=_l("Write the last 4 digits of the number.")),
        ],
    )


class BroadcastForm(Form):
    purpose = RadioField(
        _l("What kind of text is it?"),
        choices=[SelectChoice(value, label) for value, label in PURPOSE_LABELS.items()],
        default="practical",
        validators=[required(_l("Choose what kind of text it is."))],
    )
    key = HiddenField()
    confirm = HiddenField()


def _broadcast_form(languages: list[str]) -> BroadcastForm:
    """The form with one text field per configured language (Danish required)."""

    class Form(BroadcastForm):
        pass

    for code in languages:
        language = KNOWN_LANGUAGES.get(code)
        label = f"{language.native_name} ({code})" if language else code
        checks = [required(_l("Write the text in Danish."))] if code == "da" else [Optional()]
        field = TextAreaField(label, validators=[*checks, max_length(broadcasts.MAX_CHARACTERS)])
        setattr(Form, f"text_{code}", field)
    return Form()


def _page() -> int:
    return page_number()


def _languages() -> list[str]:
    return list(current_settings().languages)


# ---------------------------------------------------------------- on every staff page


@bp.app_context_processor
def _staff_messaging_globals() -> dict[str, Any]:
    def unhandled_replies() -> int:
        return staff_lists.unhandled_replies(db.session)

    def sms_budget() -> guards.Budget:
        return guards.budget(db.session, utcnow(), guards.Limits.from_settings(current_settings()))

    return {"unhandled_replies": unhandled_replies, "sms_budget": sms_budget}


# ---------------------------------------------------------------- the outbox


@bp.get("/messages")
@staff_required(*MANAGERS)
def outbox() -> ResponseReturnValue:
    form = OutboxFilterForm(request.args)
    form.status.choices = [
        SelectChoice("", _("All")),
        SelectChoice(staff_lists.UNREACHABLE, _("Cannot reach")),
        *(SelectChoice(status, str(STATUS_LABELS[status][1])) for status in MESSAGE_STATUSES),
    ]
    form.kind.choices = [
        SelectChoice("", _("All")),
        *(SelectChoice(kind, str(KIND_LABELS[kind])) for kind in MESSAGE_KINDS),
    ]
    selected = staff_lists.OutboxFilter()
    status = 200
    if form.validate():
        selected = staff_lists.OutboxFilter(
            form.status.data or "", form.kind.data or "", form.digits.data or ""
        )
    else:
        status = 400
    page = db.paginate(
        staff_lists.outbox_query(db.session, selected, current_settings()),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    phones = sorted({m.to_phone for m in page.items})
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "messaging/outbox.html",
        form=form,
        page=page,
        filters=filters,
        unreachable=staff_lists.unreachable_among(db.session, phones, current_settings()),
        mask=staff_lists.mask_phone,
        statuses=STATUS_LABELS,
        kinds=KIND_LABELS,
        console=current_settings().sms_backend == "console",
    ), status


@bp.get("/messages/<int:message_id>")
@staff_required(*MANAGERS)
def message_detail(message_id: int) -> ResponseReturnValue:
    message = db.get_or_404(OutboundMessage, message_id)
    unreachable = staff_lists.unreachable_among(db.session, [message.to_phone], current_settings())
    return render_template(
        "messaging/message.html",
        message=message,
        sensitive=staff_lists.about_sensitive(db.session, message),
        unreachable=message.to_phone in unreachable,
        mask=staff_lists.mask_phone,
        statuses=STATUS_LABELS,
        kinds=KIND_LABELS,
        console=current_settings().sms_backend == "console",
    )


# ---------------------------------------------------------------- replies


@bp.get("/messages/replies")
@staff_required(*MANAGERS)
def replies() -> ResponseReturnValue:
    unhandled_only = request.args.get("show") == "unhandled"
    page = db.paginate(
        staff_lists.replies_query(unhandled_only), page=_page(), per_page=PER_PAGE, error_out=False
    )
    people = staff_lists.participants_by_id(
        db.session, {r.participant_id for r in page.items if r.participant_id}
    )
    bookings = staff_lists.bookings_by_id(
        db.session, {r.booking_id for r in page.items if r.booking_id}
    )
    return render_template(
        "messaging/replies.html",
        page=page,
        people=people,
        bookings=bookings,
        unhandled_only=unhandled_only,
        filters={"show": "unhandled"} if unhandled_only else {},
        mask=staff_lists.mask_phone,
        labels=REPLY_LABELS,
        confirm=ConfirmForm(),
    )


@bp.post("/messages/replies/<int:reply_id>/handled")
@staff_required(*MANAGERS)
def mark_handled(reply_id: int) -> ResponseReturnValue:
    reply = db.get_or_404(InboundMessage, reply_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if staff_lists.mark_handled(db.session, reply, current_user.id, utcnow()):
        flash(_("Marked as handled."), "success")
    else:
        flash(_("Someone handled this reply already."), "info")
    db.session.commit()
    # Back to the list as it was filtered. Only the filter goes along: url_for would take a
    # query argument named _method, _scheme or _external as its own option.
    return redirect(url_for("messages.replies", show=request.args.get("show")))


# ---------------------------------------------------------------- the text preview


@bp.get("/messages/templates")
@staff_required(*MANAGERS)
def templates_preview() -> ResponseReturnValue:
    now = utcnow()
    limits = guards.Limits.from_settings(current_settings())
    return render_template(
        "messaging/templates.html",
        samples=preview.render_samples(db.session, now, _languages(), limits, current_settings()),
        estimate=preview.cost_estimate(db.session, now, limits),
        budget=guards.budget(db.session, now, limits),
        limits=limits,
        kinds=KIND_LABELS,
        variants=VARIANT_LABELS,
        known=KNOWN_LANGUAGES,
    )


# ---------------------------------------------------------------- broadcasts


@bp.get("/broadcasts")
@staff_required(*MANAGERS)
def broadcast_list() -> ResponseReturnValue:
    page = db.paginate(
        staff_lists.broadcasts_query(), page=_page(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "messaging/broadcasts.html",
        page=page,
        rows=staff_lists.broadcast_rows(db.session, page.items),
        activities=staff_lists.activities_for_broadcast(db.session),
        purposes={"practical": _("Practical"), "marketing": _("News")},
        price=guards.Limits.from_settings(current_settings()).price_per_segment,
    )


def _target() -> broadcasts.Target:
    target = broadcasts.find_target(
        db.session, request.args.get("session", type=db_int), request.args.get("activity")
    )
    if target is None:
        abort(404)
    return target


def _texts_of(form: BroadcastForm) -> dict[str, str]:
    fields: dict[str, Field] = {name: field for name, field in form._fields.items()}
    return {
        code: fields[f"text_{code}"].data or "" for code in _languages() if f"text_{code}" in fields
    }


@bp.route("/broadcasts/new", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def broadcast_new() -> ResponseReturnValue:
    """Write, preview, then confirm: the first POST shows who gets what, the second sends."""
    target = _target()
    languages = _languages()
    form = _broadcast_form(languages)
    limits = guards.Limits.from_settings(current_settings())
    shown: broadcasts.Preview | None = None
    cleaned: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                cleaned = broadcasts.clean_texts(_texts_of(form), languages)
                if form.confirm.data == "yes":
                    return _send_broadcast(target, form, cleaned, limits)
                purpose = form.purpose.data or ""
                shown = broadcasts.preview(
                    db.session, target, purpose, cleaned, utcnow(), limits, current_settings()
                )
                form.key.data = broadcasts.new_key()
                status = 200
            except HavehusError as exc:
                db.session.rollback()
                flash(exc.message, "error")
    return render_template(
        "messaging/broadcast_new.html",
        form=form,
        target=target,
        languages=languages,
        preview=shown,
        cleaned=cleaned,
        known=KNOWN_LANGUAGES,
        purposes=PURPOSE_LABELS,
        price=limits.price_per_segment,
    ), status


def _send_broadcast(
    target: broadcasts.Target,
    form: BroadcastForm,
    cleaned: dict[str, str],
    limits: guards.Limits,
) -> ResponseReturnValue:
    """The confirmed broadcast into the outbox, once however often it is confirmed."""
    broadcast, created = broadcasts.send(
        db.session, target, form.purpose.data or "", cleaned, form.key.data or "", utcnow(),
        current_actor(), limits,
        current_settings(),
    )  # fmt: skip
    db.session.commit()
    if created:
        flash(
            _("The text is in the outbox for %(count)d people.", count=broadcast.recipients),
            "success",
        )
    else:
        flash(_("This broadcast was sent already; nothing was sent twice."), "info")
    return redirect(url_for("messages.broadcast_list"))
