"""The staff overview (/staff/): the first page after sign-in, composed from several domains.

It sits above the domain packages, so that none of them imports another: the week's coming
sessions come from program, a partner's own calendar addresses from feeds, and the SMS budget
warning from messaging's context processor (shown on every staff page by staff/base.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from havehus.config import Settings, current_settings
from havehus.extensions import db
from havehus.feeds.links import FeedLink
from havehus.feeds.partner_feeds import own_partner_links
from havehus.models import FeedToken, Session, StaffUser
from havehus.orm import OrmSession
from havehus.people.access import HOSTS, staff_required
from havehus.people.forms import ConfirmForm
from havehus.program.services import public_sessions_between
from havehus.timeutil import house_tz, utcnow, week_monday

bp = Blueprint("dashboard", __name__, url_prefix="/staff")

#: Hosts see everything the house has on, whoever it is advertised to.
ALL_VISIBILITIES = ("public", "partners", "staff")


@dataclass(frozen=True)
class Overview:
    """What one user's overview shows besides the links every role gets."""

    #: The sessions still to come this week (hosts and up; empty for partners).
    coming: Sequence[Session]
    #: The user's own live partner calendar addresses.
    feed_links: list[tuple[FeedToken, FeedLink]]


def coming_this_week(orm: OrmSession, now: datetime, tz: ZoneInfo) -> list[Session]:
    """Sessions from today until Sunday that have not ended yet, of every visibility."""
    today = now.astimezone(tz).date()
    sunday = week_monday(today) + timedelta(days=6)
    found = public_sessions_between(orm, today, sunday, tz, visibilities=ALL_VISIBILITIES)
    return [session for session in found if session.ends_at > now]


def overview_for(
    orm: OrmSession, user: StaffUser, now: datetime, tz: ZoneInfo, settings: Settings
) -> Overview:
    """The week for those who host, and the calendar addresses made for this user."""
    coming = coming_this_week(orm, now, tz) if user.role in HOSTS else []
    return Overview(coming=coming, feed_links=own_partner_links(orm, user, settings))


@bp.get("/")
@staff_required()
def overview() -> ResponseReturnValue:
    shown = overview_for(db.session, current_user, utcnow(), house_tz(), current_settings())
    return render_template(
        "dashboard/overview.html",
        form=ConfirmForm(),
        coming=shown.coming,
        feed_links=shown.feed_links,
    )
