"""Self check-in on a resident's own phone: /sessions/<id>/here/<code>, the page a session's
printed QR code opens.

The code in the address (program.check_in_link) proves the phone is in front of the printed
code; the page checks in only while the session runs (check_in.check_qr_open). "I am here"
counts this phone once per session: its tap key is derived from a random name kept in the
phone's session cookie. "I signed up" takes the person's number, and the answer is the same
welcome whatever the number is. No page here ever shows a name.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.attendance import check_in
from havehus.attendance.forms import CheckInForm, PulseForm
from havehus.attendance.pulse import FACE_LABELS, give_pulse, offers_pulse, pulse_given
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Session
from havehus.people.access import client_ip
from havehus.people.audit import Actor
from havehus.program.check_in_link import is_check_in_code
from havehus.ratelimit import FixedWindowLimiter
from havehus.signup.phones import normalise_phone
from havehus.timeutil import utcnow

#: The Flask-session keys: this phone's random name, and the sessions it checked in to.
DEVICE_KEY = "check_in_device"
CHECKED_IN_KEY = "checked_in"
#: At most this many sessions are remembered as checked in (the oldest are dropped).
REMEMBERED = 20
#: Numbers one phone (or one address) may check in per minute: a family, not a phone book.
NUMBERS_PER_MINUTE = 10
LIMITER_KEY = "havehus_check_in_limiter"


def _target(session_id: int, code: str) -> Session:
    """The session whose printed code this is; 404 for a wrong code, as for no session."""
    found = (
        db.session.get(Session, session_id)
        if is_check_in_code(session_id, code, current_settings().secret_key)
        else None
    )
    if found is None:
        abort(404)
    return found


def _device() -> str:
    """A random name for this phone, kept in its session cookie (never a person's)."""
    device = session.get(DEVICE_KEY)
    if not isinstance(device, str) or not 16 <= len(device) <= 64:
        device = secrets.token_urlsafe(16)
        session[DEVICE_KEY] = device
    return device


def _checked_in() -> list[int]:
    found = session.get(CHECKED_IN_KEY)
    return [i for i in found if isinstance(i, int)] if isinstance(found, list) else []


def _remember(session_id: int) -> None:
    kept = [i for i in _checked_in() if i != session_id]
    session[CHECKED_IN_KEY] = [*kept, session_id][-REMEMBERED:]


def _too_many(device: str) -> bool:
    limiter = current_app.extensions.setdefault(LIMITER_KEY, FixedWindowLimiter())
    return any(
        limiter.hit(key, NUMBERS_PER_MINUTE) is not None
        for key in (f"device:{device}", f"ip:{client_ip()}")
    )


def _render(target: Session, code: str, status: int = 200, **extra: Any) -> ResponseReturnValue:
    device = _device()
    checked = target.id in _checked_in()
    pulse_key = check_in.device_key(device, target.id, "pulse", current_settings().secret_key)
    return render_template(
        "attendance/check_in.html",
        session=target,
        code=code,
        form=extra.pop("form", None) or CheckInForm(),
        pulse_form=PulseForm(),
        checked_in=checked,
        pulse_open=checked and offers_pulse(target),
        pulse_done=checked and pulse_given(db.session, pulse_key),
        faces=FACE_LABELS,
        now=utcnow(),
        **extra,
    ), status


def qr(session_id: int, code: str) -> ResponseReturnValue:
    """The check-in page (GET), and "I am here" with or without a number (POST)."""
    target = _target(session_id, code)
    now = utcnow()
    try:
        check_in.check_qr_open(target, now)
    except HavehusError as closed:
        return _render(target, code, 200 if request.method == "GET" else 409, closed=closed.message)
    if request.method == "GET":
        return _render(target, code)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _render(target, code, 400, form=form)
    device = _device()
    key = check_in.device_key(device, target.id, "here", current_settings().secret_key)
    action = request.form.get("action", "")
    if action not in ("here", "number"):
        return _render(target, code, 400, form=form, problem=_("Please tap one of the buttons."))
    try:
        if action == "number":
            if _too_many(device):
                message = _("Too many numbers from this phone. Wait a minute and try again.")
                return _render(target, code, 429, form=form, problem=message)
            regions = current_settings().phone_regions
            phone = normalise_phone(form.phone.data or "", regions)
            actor = Actor("public", ip=client_ip())
            check_in.check_in_by_phone(db.session, target, phone, key, "qr", now, actor)
        else:
            check_in.check_in_anonymously(db.session, target, key, now)
    except HavehusError as problem:
        db.session.rollback()
        if problem.code == "invalid_phone":
            form.phone.errors = [problem.message]
            return _render(target, code, 400, form=form)
        return _render(target, code, 400, form=form, problem=problem.message)
    db.session.commit()
    _remember(target.id)
    return redirect(url_for("checkin.qr", session_id=target.id, code=code), 303)


def qr_pulse(session_id: int, code: str) -> ResponseReturnValue:
    """One face for "How are you today?", once per phone and session, after a check-in."""
    target = _target(session_id, code)
    form = PulseForm()
    if not form.validate_on_submit():
        return _render(target, code, 400)
    now = utcnow()
    try:
        check_in.check_qr_open(target, now)
    except HavehusError as closed:
        return _render(target, code, 409, closed=closed.message)
    if target.id not in _checked_in():
        return redirect(url_for("checkin.qr", session_id=target.id, code=code), 303)
    raw = request.form.get("face", "")
    face = int(raw) if raw.isdigit() and len(raw) == 1 else 0
    key = check_in.device_key(_device(), target.id, "pulse", current_settings().secret_key)
    try:
        give_pulse(db.session, target, face, key, now, None)
    except HavehusError as problem:
        db.session.rollback()
        return _render(target, code, 400, problem=problem.message)
    db.session.commit()
    return redirect(url_for("checkin.qr", session_id=target.id, code=code), 303)
