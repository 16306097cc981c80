"""Contacts in host mode: /host/contacted — record whom you reached (a known person found by
the search, or a count), list the latest records, take back one's own recent one."""

from __future__ import annotations

import secrets
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from havehus.attendance import outreach
from havehus.attendance.outreach_forms import ContactForm
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.i18n import current_language, pick
from havehus.models import Participant
from havehus.people.access import HOSTS, current_actor, staff_required
from havehus.signup.forms import CHANNEL_LABELS, SearchForm
from havehus.signup.staff import search_participants
from havehus.timeutil import utcnow


def _form(form: ContactForm | None = None) -> ContactForm:
    """The record form, its activities named in the page's language, with a fresh key."""
    form = form or ContactForm(
        channel=request.args.get("channel") or "drop-in",
        activity=request.args.get("activity") or "",
    )
    language = current_language().code
    activities = outreach.activity_choices(db.session)
    names = {activity.id: pick(activity.title, language) for activity in activities}
    form.offer(sorted(activities, key=lambda a: names[a.id].casefold()), names)
    form.key.data = secrets.token_urlsafe(18)
    return form


def _chosen(form: ContactForm) -> Participant | None:
    """The known person the host picked from the search, if any (never an anonymised one)."""
    raw = form.participant_id.data or request.args.get("person", "")
    person = db.session.get(Participant, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    return person if person is not None and person.anonymised_at is None else None


def _render(form: ContactForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    actor = current_actor()
    chosen = _chosen(form)
    form.participant_id.data = str(chosen.id) if chosen is not None else ""
    search = SearchForm(request.args)
    query = search.q.data or ""
    return render_template(
        "attendance/contacted.html",
        form=form,
        chosen=chosen,
        search=search,
        found=search_participants(db.session, query) if query else [],
        recent=outreach.recent_contacts(db.session, actor),
        may_undo=lambda contact: outreach.may_undo(contact, utcnow(), actor),
        channels=CHANNEL_LABELS,
        **extra,
    ), status


@staff_required(*HOSTS)
def contacted() -> ResponseReturnValue:
    return _render(_form())


@staff_required(*HOSTS)
def record_contact() -> ResponseReturnValue:
    form = ContactForm()
    key = form.key.data or ""
    if not form.validate_on_submit():
        return _render(_form(form), 400)
    try:
        added = outreach.record_contact(db.session, form.contact(), key, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        show_errors(form, error)
        return _render(_form(form), 400)
    db.session.commit()
    flash(_("Recorded. Thank you!") if added else _("This was recorded already."))
    # The next record is often by the same channel, about the same activity.
    keep = {"channel": form.channel.data, "activity": form.activity.data or None}
    return redirect(url_for("host.contacted", **{k: v for k, v in keep.items() if v}), 303)


@staff_required(*HOSTS)
def undo_contact(contact_id: int) -> ResponseReturnValue:
    try:
        undone = outreach.undo_contact(db.session, contact_id, utcnow(), current_actor())
    except HavehusError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("host.contacted"), 303)
    db.session.commit()
    flash(_("The record is taken back.") if undone else _("This record was taken back already."))
    return redirect(url_for("host.contacted"), 303)
