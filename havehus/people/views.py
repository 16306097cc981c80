"""Staff sign-in, sign-out, own account and invitation links (/staff/...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.models import StaffUser
from havehus.people import auth, services
from havehus.people.access import (
    active_user,
    client_ip,
    current_actor,
    device_key,
    end_staff_session,
    known_devices,
    remember_device,
    staff_required,
    start_staff_session,
    two_factor_required,
)
from havehus.people.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    NewPasswordForm,
    SecondFactorForm,
    TotpSetupForm,
)
from havehus.timeutil import utcnow

#: How long the step between password and second factor may take.
SECOND_FACTOR_WINDOW_SECONDS = 300
#: Where the password form shows a service error, by its code.
PASSWORD_ERROR_CODES = {"wrong_password": "current", "weak_password": "password"}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site; anything else (other hosts, //evil, schemes) is ignored."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target


def _signed_in(user: StaffUser, failed: int, now: datetime) -> ResponseReturnValue:
    """Record the sign-in, start a fresh session and go where the visitor was going.

    The browser is remembered as one the user signs in with: wrong passwords from elsewhere
    never lock it out.
    """
    auth.complete_sign_in(db.session, user, client_ip(), now, device=device_key(user))
    next_url = _safe_next(session.get("next_after_login"))
    start_staff_session(user, now)  # nothing from before the sign-in survives
    db.session.commit()
    if failed:
        flash(
            ngettext(
                "There was %(num)d failed sign-in attempt on your account since your last visit.",
                "There were %(num)d failed sign-in attempts on your account since your last visit.",
                failed,
            ),
            "warning",
        )
    if two_factor_required(user) and not user.totp_secret:
        return remember_device(redirect(url_for("staff.two_factor_setup")), user)
    return remember_device(redirect(next_url or _home(user)), user)


def _home(user: StaffUser) -> str:
    """Where a signed-in user starts: a translator has only the review page."""
    if user.role == "translator":
        return url_for("translations.strings")
    return url_for("dashboard.overview")


def _clear_session_keeping_next() -> None:
    """A fresh session once the password is right; only where to go afterwards stays."""
    next_url = session.get("next_after_login")
    session.clear()
    if next_url:
        session["next_after_login"] = next_url


def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home(current_user))
    form = LoginForm()
    if request.method == "GET":
        if next_url := _safe_next(request.args.get("next")):
            session["next_after_login"] = next_url
        return render_template("people/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("people/login.html", form=form), 400
    now = utcnow()
    try:
        step = auth.check_password_step(
            db.session,
            form.email.data or "",
            form.password.data or "",
            client_ip(),
            now,
            devices=known_devices(),
        )
    except HavehusError as error:
        db.session.commit()  # keep the failed attempt and its audit entry
        status = 429 if error.code == "throttled" else 401
        return render_template("people/login.html", form=form, error=error.message), status
    _clear_session_keeping_next()
    if not step.needs_second_factor:
        return _signed_in(step.user, step.failed_since_last, now)
    session["second_factor"] = {
        "user": step.user.get_id(),
        "at": int(now.timestamp()),
        "failed": step.failed_since_last,
    }
    db.session.commit()
    return redirect(url_for("staff.second_factor"))


def _pending_second_factor() -> tuple[StaffUser, int] | None:
    """The user between password and code, while the step is fresh and they are still active."""
    pending: dict[str, Any] | None = session.get("second_factor")
    if not pending:
        return None
    if utcnow().timestamp() - pending.get("at", 0) > SECOND_FACTOR_WINDOW_SECONDS:
        session.pop("second_factor", None)
        return None
    # The same test as a signed-in session's: active, and no sign-out everywhere since.
    user = active_user(str(pending.get("user", "")))
    return (user, int(pending.get("failed", 0))) if user else None


def second_factor() -> ResponseReturnValue:
    pending = _pending_second_factor()
    if pending is None:
        flash(_("Please sign in again."))
        return redirect(url_for("staff.login"))
    user, failed = pending
    form = SecondFactorForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_template("people/second_factor.html", form=form), status
    now = utcnow()
    try:
        auth.check_second_factor_step(
            db.session, user, form.code.data or "", client_ip(), now, device=device_key(user)
        )
    except HavehusError as error:
        db.session.commit()  # keep the failed attempt and its audit entry
        status = 429 if error.code == "throttled" else 401
        return render_template("people/second_factor.html", form=form, error=error.message), status
    return _signed_in(user, failed, now)


def logout() -> ResponseReturnValue:
    end_staff_session()
    db.session.commit()
    flash(_("You are signed out."))
    return redirect(url_for("staff.login"))


@staff_required()
def logout_everywhere() -> ResponseReturnValue:
    services.sign_out_everywhere(db.session, current_user, utcnow(), current_actor())
    end_staff_session()
    db.session.commit()
    flash(_("You are signed out on every device."))
    return redirect(url_for("staff.login"))


@staff_required()
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    # The user itself, not the proxy: signing in again below replaces what the proxy reads.
    user: StaffUser = current_user._get_current_object()
    if form.validate_on_submit():
        now = utcnow()
        try:
            services.change_own_password(
                db.session,
                user,
                form.current.data or "",
                form.password.data or "",
                now,
                current_actor(),
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes=PASSWORD_ERROR_CODES)
        else:
            start_staff_session(user, now)  # this device stays signed in
            db.session.commit()
            flash(_("Your password is changed. Other devices are signed out."))
            return redirect(_home(current_user))
    status = 400 if request.method == "POST" else 200
    return render_template("people/password.html", form=form), status


def _qr_svg(data: str) -> str:
    # omitsize: a viewBox instead of width/height, so CSS can scale the code to fit.
    return segno.make(data, error="m").svg_inline(
        scale=5, dark="#1f2d3d", light="#ffffff", omitsize=True
    )


@staff_required()
def two_factor_setup() -> ResponseReturnValue:
    user: StaffUser = current_user
    required = two_factor_required(user)
    if user.totp_secret:
        return render_template(
            "people/two_factor_status.html",
            remaining=auth.unused_recovery_codes(db.session, user),
            required=required,
            form=ConfirmForm(),
        )
    secret = session.get("pending_totp_secret") or auth.new_totp_secret()
    session["pending_totp_secret"] = secret
    form = TotpSetupForm()
    if form.validate_on_submit():
        try:
            codes = auth.enable_two_factor(
                db.session, user, secret, form.code.data or "", utcnow(), current_actor()
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes={"invalid_code": "code"})
        else:
            db.session.commit()
            session.pop("pending_totp_secret", None)
            return render_template("people/recovery_codes.html", codes=codes)
    uri = auth.totp_uri(user, secret)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "people/two_factor_setup.html",
        form=form,
        secret=secret,
        qr_svg=_qr_svg(uri),
        required=required,
    ), status


@staff_required()
def two_factor_disable() -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        auth.disable_two_factor(
            db.session,
            current_user,
            utcnow(),
            current_actor(),
            required=two_factor_required(current_user),
        )
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Two-factor sign-in is off."))
    return redirect(url_for("staff.two_factor_setup"))


def accept_invite(token: str) -> ResponseReturnValue:
    now = utcnow()
    invite = services.find_valid_invite(db.session, token, now)
    if invite is None:
        return render_template("people/invite_expired.html"), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.accept_invite(db.session, token, form.password.data or "", now, client_ip())
        except HavehusError as error:
            db.session.rollback()
            if error.code == "expired_link":
                return render_template("people/invite_expired.html"), 410
            show_errors(form, error, codes={"weak_password": "password"})
        else:
            end_staff_session()
            db.session.commit()
            flash(_("Your password is set. Sign in with your e-mail and the new password."))
            return redirect(url_for("staff.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("people/invite.html", form=form, invite=invite), status


def csrf_form() -> ConfirmForm:
    """A form holding only the CSRF token, for buttons that post."""
    return ConfirmForm()


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
