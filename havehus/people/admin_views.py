"""Administration: users, API tokens, kiosk devices and the audit trail (/staff/...)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.input_guard import page_number
from havehus.models import ApiToken, KioskDevice, StaffUser
from havehus.people import audit, credentials, services
from havehus.people.access import (
    ADMINS,
    KIOSK_COOKIE,
    KIOSK_COOKIE_MAX_AGE,
    MANAGERS,
    current_actor,
    end_staff_session,
    staff_required,
)
from havehus.people.forms import (
    ROLE_LABELS,
    AuditFilterForm,
    ConfirmForm,
    DeviceForm,
    InviteForm,
    RoleForm,
    TokenForm,
    role_choices,
)
from havehus.timeutil import FIRST_DAY, LAST_DAY, house_tz, local_to_utc, utcnow

PER_PAGE = 50
#: Where each form shows a service error that names no field, by the error's code.
INVITE_ERROR_CODES = {"invalid_email": "email", "exists": "email", "invalid_role": "role"}
TOKEN_ERROR_CODES = {"invalid_name": "name", "invalid_role": "role"}
DEVICE_ERROR_CODES = {"invalid_name": "name", "invalid_location": "location"}


def _paginate(query: Select[Any]) -> Pagination:
    """The page of the query that ?page= asks for (a page past the end is empty)."""
    return db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)


def _status() -> int:
    """A form shown again after a POST was refused."""
    return 400 if request.method == "POST" else 200


def _confirmed() -> None:
    """Every state-changing button posts a CSRF-protected form; refuse anything else."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _invite_link(token: str) -> str:
    base = current_settings().public_url.rstrip("/")
    return base + url_for("staff.accept_invite", token=token)


# ---------------------------------------------------------------- users (admin)


@staff_required(*ADMINS)
def users() -> ResponseReturnValue:
    page = _paginate(services.user_list())
    return render_template("people/users.html", page=page, roles=ROLE_LABELS)


@staff_required(*ADMINS)
def user_new() -> ResponseReturnValue:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, raw = services.invite_user(
                db.session,
                form.email.data or "",
                form.role.data,
                utcnow(),
                current_actor(),
                name=form.name.data or "",
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes=INVITE_ERROR_CODES)
        else:
            db.session.commit()
            link = _invite_link(raw)
            return render_template("people/link_created.html", user=user, link=link, kind="invite")
    return render_template("people/user_new.html", form=form), _status()


@staff_required(*ADMINS)
def user_detail(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(StaffUser, user_id)
    return render_template(
        "people/user_detail.html",
        user=user,
        role_form=RoleForm(role=user.role),
        form=ConfirmForm(),
        roles=ROLE_LABELS,
    )


@staff_required(*ADMINS)
def user_role(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(StaffUser, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_role(db.session, user, form.role.data, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The role is changed."))
    return redirect(url_for("staff.user_detail", user_id=user.id))


@staff_required(*ADMINS)
def user_active(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(StaffUser, user_id)
    _confirmed()
    active = request.form.get("active") == "1"
    try:
        services.set_active(db.session, user, active, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The user is enabled.") if active else _("The user is disabled and signed out."))
    return redirect(url_for("staff.user_detail", user_id=user.id))


@staff_required(*ADMINS)
def user_reset(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(StaffUser, user_id)
    _confirmed()
    raw = services.reset_password_link(db.session, user, utcnow(), current_actor())
    db.session.commit()
    link = _invite_link(raw)
    return render_template("people/link_created.html", user=user, link=link, kind="reset")


# ---------------------------------------------------------------- API tokens (managers)


def _token_form() -> TokenForm:
    form = TokenForm()
    grantable = credentials.GRANTABLE_ROLES[current_user.role]
    form.role.choices = role_choices(grantable)
    return form


@staff_required(*MANAGERS)
def tokens() -> ResponseReturnValue:
    form = _token_form()
    if form.validate_on_submit():
        try:
            token, raw = credentials.create_api_token(
                db.session,
                form.name.data or "",
                form.role.data,
                utcnow(),
                current_actor(),
                actor_role=current_user.role,
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes=TOKEN_ERROR_CODES)
        else:
            db.session.commit()
            return render_template("people/token_created.html", token=token, raw=raw)
    page = _paginate(credentials.api_token_list())
    return render_template(
        "people/tokens.html", form=form, page=page, confirm=ConfirmForm(), roles=ROLE_LABELS
    ), _status()


@staff_required(*MANAGERS)
def token_revoke(token_id: int) -> ResponseReturnValue:
    token = db.get_or_404(ApiToken, token_id)
    _confirmed()
    credentials.revoke_api_token(db.session, token, utcnow(), current_actor())
    db.session.commit()
    flash(_("The token %(name)s is revoked. It stops working at once.", name=token.name))
    return redirect(url_for("staff.tokens"))


# ---------------------------------------------------------------- kiosk devices (managers)


def _device_form() -> DeviceForm:
    form = DeviceForm()
    form.location.choices = [SelectChoice("0", _("No particular place"))] + [
        SelectChoice(str(x.id), x.name) for x in credentials.kiosk_locations(db.session)
    ]
    return form


def _with_kiosk_cookie(response: Response, raw: str) -> Response:
    """Make this browser the kiosk: the device token lives in a long-lived, script-proof cookie."""
    response.set_cookie(
        KIOSK_COOKIE,
        raw,
        max_age=KIOSK_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_settings().production,
    )
    return response


@staff_required(*MANAGERS)
def devices() -> ResponseReturnValue:
    form = _device_form()
    if form.validate_on_submit():
        try:
            device, raw = credentials.enrol_kiosk(
                db.session, form.name.data or "", form.location.data or None, utcnow(),
                current_actor(),
            )  # fmt: skip
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes=DEVICE_ERROR_CODES)
        else:
            # The tablet is for everyone in the house: the manager's session ends on it.
            end_staff_session()
            db.session.commit()
            return _with_kiosk_cookie(redirect(url_for("kiosk.start")), raw)
    page = _paginate(credentials.kiosk_list())
    return render_template(
        "people/devices.html", form=form, page=page, confirm=ConfirmForm()
    ), _status()


@staff_required(*MANAGERS)
def device_revoke(device_id: int) -> ResponseReturnValue:
    device = db.get_or_404(KioskDevice, device_id)
    _confirmed()
    credentials.revoke_kiosk(db.session, device, utcnow(), current_actor())
    db.session.commit()
    flash(_("The kiosk %(name)s is revoked. It stops working at once.", name=device.name))
    return redirect(url_for("staff.devices"))


# ---------------------------------------------------------------- audit trail (admin)


def _audit_filter(form: AuditFilterForm) -> audit.AuditFilter:
    """What the filter form asks for; a form that does not validate narrows nothing."""
    if not form.validate():
        return audit.AuditFilter()
    return audit.AuditFilter(
        action=(form.action.data or "").strip(),
        actor_user_id=form.actor.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@staff_required(*ADMINS)
def audit_log() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    form.actor.choices = [SelectChoice("0", _("Everyone"))] + [
        SelectChoice(str(u.id), u.email) for u in services.users_by_email(db.session)
    ]
    page = _paginate(audit.audit_list(_audit_filter(form), house_tz()))
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("people/audit.html", form=form, page=page, filters=filters)


def _month(raw: str | None, today: date) -> date | None:
    """The first day of the month `raw` ("2026-12") names, this month when empty; None when it
    names no month of the house's calendar."""
    if not raw:
        return today.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    if not FIRST_DAY.year <= int(match.group(1)) <= LAST_DAY.year:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


@staff_required(*ADMINS)
def access_summary() -> ResponseReturnValue:
    """Who looked at what in a month: each staff member's views and exports of people's data."""
    tz = house_tz()
    first = _month(request.args.get("month"), utcnow().astimezone(tz).date())
    if first is None:
        message = _("Choose a month like 2026-12.")
        return render_template("people/access_summary.html", error=message, lines=[]), 400
    after = (first + timedelta(days=32)).replace(day=1)
    start, end = local_to_utc(first, time(0), tz), local_to_utc(after, time(0), tz)
    lines = audit.access_summary(db.session, start, end)
    return render_template(
        "people/access_summary.html",
        lines=lines,
        month=first,
        before=(first - timedelta(days=1)).strftime("%Y-%m"),
        after=after.strftime("%Y-%m") if after <= LAST_DAY else None,
    )
