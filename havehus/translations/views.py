"""The review pages: /staff/translations (a language's strings) and the managers' suggestions.

Thin: every decision of who may see or do what is in `review`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from havehus.core.paging import page_number, page_of
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.form_errors import show_errors
from havehus.models import StaffUser, TranslationReview
from havehus.people.access import MANAGERS, current_actor, staff_required
from havehus.people.forms import ConfirmForm
from havehus.timeutil import utcnow
from havehus.translations import overrides, review
from havehus.translations.forms import ReviewForm

bp = Blueprint("translations", __name__, url_prefix="/staff/translations")
#: Texts per page: each has its own form, and a language has hundreds.
PER_PAGE = 25
#: Who may open the review pages at all; which language each may review is `review.may_review`.
REVIEWERS = (*MANAGERS, "translator")


def _language_asked() -> str:
    user: StaffUser = current_user
    if user.role == "translator":
        return user.translates or ""
    asked = request.args.get("language", "")
    return asked if asked in review.REVIEWED_LANGUAGES else review.REVIEWED_LANGUAGES[0]


@bp.get("/")
@staff_required(*REVIEWERS)
def strings() -> ResponseReturnValue:
    language = _language_asked()
    status = request.args.get("status")
    if status not in review.STATUSES:
        status = None
    search = request.args.get("q", "")[:200]
    try:
        rows = review.strings_of(db.session, current_user, language, status, search)
    except HavehusError:
        abort(403)
    page = page_of(rows, page_number(request.args.get("page")), PER_PAGE)
    return render_template(
        "translations/strings.html",
        review_language=language,
        language_name=review.language_name(language),
        languages=review.REVIEWED_LANGUAGES if current_user.role in MANAGERS else (language,),
        rows=page.items,
        page=page,
        first_number=(page.page - 1) * PER_PAGE,
        status=status,
        search=search,
        statuses=review.STATUSES,
        progress=review.progress(db.session, [language])[language],
        total=len(review.resident_strings()),
        form=ReviewForm(),
        may_decide=review.may_decide(current_user),
    )


@bp.post("/review")
@staff_required(*REVIEWERS)
def submit_review() -> ResponseReturnValue:
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        review.review(
            db.session,
            current_user,
            form.language.data or "",
            form.msgid.data or "",
            form.verdict.data or "",
            form.suggestion.data or "",
            utcnow(),
            current_actor(),
        )
    except HavehusError as error:
        db.session.rollback()
        if error.code == "forbidden":
            abort(403)
        show_errors(form, error)
    else:
        db.session.commit()
        flash(
            _("Thank you. A manager will look at your suggestion.")
            if form.verdict.data == "needs-change"
            else _("Marked as reviewed."),
            "success",
        )
    status = request.form.get("status")
    return redirect(
        url_for(
            "translations.strings",
            language=form.language.data,
            status=status if status in review.STATUSES else None,
            page=page_number(request.form.get("page")),
        )
    )


@bp.get("/suggestions")
@staff_required(*MANAGERS)
def suggestions() -> ResponseReturnValue:
    waiting = review.waiting_suggestions(db.session, current_user)
    current = {
        language: review.strings_of(db.session, current_user, language)
        for language in {row.language for row in waiting}
    }
    texts = {
        (language, row.string.msgid): row.text for language, rows in current.items() for row in rows
    }
    return render_template(
        "translations/suggestions.html",
        waiting=waiting,
        texts=texts,
        progress=review.progress(db.session),
        total=len(review.resident_strings()),
        language_name=review.language_name,
        confirm=ConfirmForm(),
    )


@bp.post("/suggestions/<int:review_id>/<any(accept, decline):decision>")
@staff_required(*MANAGERS)
def decide(review_id: int, decision: str) -> ResponseReturnValue:
    suggestion = db.get_or_404(TranslationReview, review_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    now = utcnow()
    done = review.decide(
        db.session, current_user, suggestion, decision == "accept", now, current_actor()
    )
    db.session.commit()
    if done and decision == "accept":
        overrides.put_in_force(db.session, current_app.instance_path, now)
        db.session.commit()
    if not done:
        flash(_("Someone decided on this suggestion already."), "info")
    elif decision == "accept":
        flash(_("Accepted: the new text is used from now on."), "success")
    else:
        flash(_("Declined."), "success")
    return redirect(url_for("translations.suggestions"))
