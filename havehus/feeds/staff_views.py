"""Managers make calendar-feed addresses for partners (/staff/feeds)."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms import SelectChoice

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.feeds import partner_feeds as partners
from havehus.feeds.forms import PartnerFeedForm
from havehus.form_errors import show_errors
from havehus.i18n import offered_languages
from havehus.input_guard import page_number
from havehus.models import FeedToken
from havehus.models.program import CATEGORIES
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.program.labels import CATEGORY_LABELS
from havehus.timeutil import utcnow

bp = Blueprint("feeds_staff", __name__, url_prefix="/staff")
PER_PAGE = 50
#: Where the form shows an error of the feed-token service that carries no field.
FEED_ERROR_CODES = {"invalid_language": "language", "invalid_category": "categories"}


def _form() -> PartnerFeedForm:
    form = PartnerFeedForm()
    form.partner.choices = [SelectChoice("0", _("Nobody (give the address yourself)"))] + [
        SelectChoice(str(user.id), user.name or user.email)
        for user in partners.partner_users(db.session)
    ]
    form.language.choices = [
        SelectChoice(lang.code, lang.native_name) for lang in offered_languages()
    ]
    form.categories.choices = [SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    return form


@bp.route("/feeds", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def partner_feeds() -> ResponseReturnValue:
    form = _form()
    if form.validate_on_submit():
        try:
            token = partners.create_partner_feed(
                db.session,
                utcnow(),
                current_actor(),
                name=form.name.data or "",
                language=form.language.data,
                categories=form.categories.data or [],
                partner_id=form.partner.data or None,
                secret=current_settings().secret_key,
            )
        except HavehusError as error:
            db.session.rollback()
            show_errors(form, error, codes=FEED_ERROR_CODES)
        else:
            db.session.commit()
            flash(_("The calendar address for %(name)s is made.", name=token.name))
            return redirect(url_for("feeds_staff.partner_feeds"))
    page = db.paginate(
        partners.partner_feed_list(),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "feeds/staff_feeds.html",
        form=form,
        page=page,
        confirm=ConfirmForm(),
        link_for=partial(partners.partner_link, settings=current_settings()),
        labels=CATEGORY_LABELS,
    ), (400 if request.method == "POST" else 200)


@bp.post("/feeds/<int:feed_id>/revoke")
@staff_required(*MANAGERS)
def revoke_partner_feed(feed_id: int) -> ResponseReturnValue:
    token = db.get_or_404(FeedToken, feed_id)
    if token.kind != "partner":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    partners.revoke_partner_feed(db.session, token, utcnow(), current_actor())
    db.session.commit()
    flash(_("The calendar address is revoked. It stops working at once."))
    return redirect(url_for("feeds_staff.partner_feeds"))
