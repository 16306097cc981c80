"""Kiosk "I am here": an enrolled tablet in the house checks people in — by the number they
signed up with (typed on the kiosk's number pad) or anonymously — then asks how they are.

The URLs are the kiosk's (/kiosk/sessions/<id>/here…); the pages are attendance's because a
check-in records a visit. The number pad, the screen's state and its idle reset are the
kiosk's own (signup.kiosk): the start page forgets everything kept here too.
"""

from __future__ import annotations

import secrets

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from havehus.attendance import check_in
from havehus.attendance.pulse import FACE_LABELS, give_pulse, offers_pulse
from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Session
from havehus.people.access import current_actor, current_kiosk
from havehus.program.services import public_session
from havehus.signup.kiosk import (
    MAX_DIGITS,
    STATE_KEY,
    KioskForm,
    masked,
    posted_form,
    press_pad,
    save_state,
    state_for,
)
from havehus.signup.phones import normalise_phone
from havehus.timeutil import utcnow

#: The Flask-session keys (they start with "kiosk", so the idle reset drops them): the
#: welcome shown once, and the key of the one face this check-in may give.
WELCOME_KEY = "kiosk_here_done"
PULSE_KEY = "kiosk_pulse"


def _target(session_id: int) -> Session:
    found = public_session(db.session, session_id)
    if found is None:
        abort(404)
    if current_kiosk() is None:
        abort(403)  # only a tablet in the house can tell that someone is here
    return found


def here(session_id: int) -> ResponseReturnValue:
    """The check-in pad: the number pressed digit by digit, then "check me in" — or "without
    a number"."""
    target = _target(session_id)
    now = utcnow()
    try:
        check_in.check_kiosk_open(target, now)
    except HavehusError as closed:
        return _render(target, None, closed=closed.message, status=409)
    state = state_for(target, "here")
    state.setdefault("key", secrets.token_urlsafe(18))
    error = None
    if request.method == "POST":
        posted_form()
        pressed = press_pad(state["digits"], request.form, MAX_DIGITS)
        state["digits"] = pressed.digits
        if pressed.step in ("next", "anonymous"):
            try:
                if pressed.step == "next":
                    regions = current_settings().phone_regions
                    phone = normalise_phone(pressed.digits, regions)
                    check_in.check_in_by_phone(
                        db.session, target, phone, state["key"], "kiosk", now, current_actor()
                    )
                else:
                    check_in.check_in_anonymously(db.session, target, state["key"], now)
            except HavehusError as problem:
                db.session.rollback()
                error = problem.message
            else:
                db.session.commit()
                return _welcome(target)
        save_state(state)
        if error is None:
            return redirect(url_for("checkin.kiosk_here", session_id=target.id))
    save_state(state)
    return _render(target, state["digits"], error=error, status=400 if error else 200)


def _render(
    target: Session,
    digits: str | None,
    *,
    error: str | None = None,
    closed: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "attendance/kiosk_here.html",
        session=target,
        form=KioskForm(),
        shown=masked(digits or ""),
        typed=len(digits or ""),
        tail=(digits or "")[-2:],
        error=error,
        closed=closed,
        now=utcnow(),
    ), status


def _welcome(target: Session) -> ResponseReturnValue:
    """Done: nothing of the number stays; the welcome (and the question) is shown once."""
    session.pop(STATE_KEY, None)
    session[WELCOME_KEY] = {"session_id": target.id, "kind": "here"}
    if offers_pulse(target):
        session[PULSE_KEY] = {"session_id": target.id, "key": secrets.token_urlsafe(18)}
    else:
        session.pop(PULSE_KEY, None)
    return redirect(url_for("checkin.kiosk_welcome"))


def welcome() -> ResponseReturnValue:
    outcome = session.pop(WELCOME_KEY, None)
    target = public_session(db.session, outcome["session_id"]) if outcome else None
    if outcome is None or target is None:
        return redirect(url_for("kiosk.start"))
    question = session.get(PULSE_KEY)
    asks = (
        outcome.get("kind") == "here"
        and isinstance(question, dict)
        and question.get("session_id") == target.id
    )
    return render_template(
        "attendance/kiosk_welcome.html",
        session=target,
        outcome=outcome,
        asks=asks,
        faces=FACE_LABELS,
        form=KioskForm(),
        now=utcnow(),
    )


def pulse(session_id: int) -> ResponseReturnValue:
    """One face, once per check-in: the check-in's key is used (and dropped) here."""
    target = _target(session_id)
    posted_form()
    question = session.pop(PULSE_KEY, None)
    if isinstance(question, dict) and question.get("session_id") == target.id:
        raw = request.form.get("face", "")
        face = int(raw) if raw.isdigit() and len(raw) == 1 else 0
        try:
            give_pulse(db.session, target, face, str(question.get("key", "")), utcnow(), None)
        except HavehusError:
            db.session.rollback()  # a forged face: nothing is counted, the thanks are the same
        else:
            db.session.commit()
    session[WELCOME_KEY] = {"session_id": target.id, "kind": "pulse"}
    return redirect(url_for("checkin.kiosk_welcome"))
