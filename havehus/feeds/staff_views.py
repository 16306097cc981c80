"""Managers make calendar-feed addresses for partners; partners see their own."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.feeds.links import FeedLink, feed_link
from havehus.feeds.tokens import create_derived_feed_token, derived_feed_token, revoke_feed_token
from havehus.i18n import offered_languages
from havehus.models import FeedToken, StaffUser
from havehus.models.program import CATEGORIES
from havehus.people import audit
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.program.labels import CATEGORY_LABELS
from havehus.timeutil import utcnow
from havehus.validators import max_length, required

bp = Blueprint("feeds_staff", __name__, url_prefix="/staff")
PER_PAGE = 50


class PartnerFeedForm(FlaskForm):
    name = StringField(_l("Name (e.g. Social Sundhed)"), validators=[required(), max_length(120)])
    partner = SelectField(_l("Partner user who sees the address"), coerce=int, default=0)
    language = SelectField(_l("Language of the calendar"))
    categories = SelectMultipleField(
        _l("Only these kinds of activity (none ticked: all)"),
        validators=[Optional()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


def link_for(token: FeedToken) -> FeedLink:
    """The partner feed's address (https, webcal, QR), shown again whenever needed."""
    path = url_for("feeds.partner_calendar", token=derived_feed_token(token))
    return feed_link(current_app.config["HAVEHUS_PUBLIC_URL"], path)


def _form() -> PartnerFeedForm:
    form = PartnerFeedForm()
    partners = db.session.scalars(
        select(StaffUser)
        .where(StaffUser.role == "partner", StaffUser.active.is_(True))
        .order_by(StaffUser.email)
    ).all()
    form.partner.choices = [SelectChoice("0", _("Nobody (give the address yourself)"))] + [
        SelectChoice(str(user.id), user.name or user.email) for user in partners
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
        now = utcnow()
        try:
            token, _raw = create_derived_feed_token(
                db.session,
                "partner",
                now,
                name=form.name.data or "",
                language=form.language.data,
                categories=form.categories.data or [],
                staff_user_id=form.partner.data or None,
            )
        except HavehusError as error:
            db.session.rollback()
            form.name.errors = [*form.name.errors, error.message]
        else:
            audit.record(db.session, "feed.create", now, current_actor(), target=token)
            db.session.commit()
            flash(_("The calendar address for %(name)s is made.", name=token.name))
            return redirect(url_for("feeds_staff.partner_feeds"))
    page = db.paginate(
        select(FeedToken)
        .where(FeedToken.kind == "partner")
        .order_by(FeedToken.revoked_at.is_not(None), FeedToken.created_at.desc()),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "feeds/staff_feeds.html",
        form=form,
        page=page,
        confirm=ConfirmForm(),
        link_for=link_for,
        labels=CATEGORY_LABELS,
    ), (400 if request.method == "POST" else 200)


@bp.post("/feeds/<int:feed_id>/revoke")
@staff_required(*MANAGERS)
def revoke_partner_feed(feed_id: int) -> ResponseReturnValue:
    token = db.session.get(FeedToken, feed_id)
    if token is None or token.kind != "partner":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    now = utcnow()
    revoke_feed_token(db.session, token, now)
    audit.record(db.session, "feed.revoke", now, current_actor(), target=token)
    db.session.commit()
    flash(_("The calendar address is revoked. It stops working at once."))
    return redirect(url_for("feeds_staff.partner_feeds"))


def own_partner_links(user: StaffUser) -> list[tuple[FeedToken, FeedLink]]:
    """The live partner feed addresses made for this user (their dashboard shows them)."""
    tokens = db.session.scalars(
        select(FeedToken)
        .where(
            FeedToken.kind == "partner",
            FeedToken.staff_user_id == user.id,
            FeedToken.revoked_at.is_(None),
        )
        .order_by(FeedToken.created_at)
    ).all()
    return [(token, link_for(token)) for token in tokens]
