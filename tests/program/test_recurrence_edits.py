"""Every row of recurrence_edits.toml: a series edit gives exactly the sessions and notices."""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Booking, OutboundMessage, Session
from havehus.program.recurrence import expand_activity, horizon_until
from havehus.program.series import SCOPES, SeriesChange, edit_series
from tests.program.planner_world import (
    CPH,
    HORIZON_WEEKS,
    MANAGER,
    NOW,
    book,
    build_world,
    person,
)

ROWS: list[dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("recurrence_edits.toml").read_text()
)["row"]
CHANGES = {
    "time": SeriesChange(start_time=time(11), end_time=time(13)),
    "weekday": SeriesChange(weekday=3),
    "end_date": SeriesChange(until=date(2026, 3, 17)),
    "cancel": SeriesChange(cancel_reason="Storm"),
}


def _label(session: Session) -> str:
    local = session.starts_at.astimezone(CPH)
    day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[local.weekday()]
    suffix = " cancelled" if session.status == "cancelled" else ""
    return f"{local:%m-%d} {day} {local:%H:%M}{suffix}"


def _snapshot(activity_id: int) -> dict[str, tuple[Any, ...]]:
    rows = db.session.scalars(select(Session).where(Session.activity_id == activity_id))
    return {s.uid: (s.starts_at, s.ends_at, s.status, s.sequence) for s in rows}


def test_the_table_covers_every_scope_change_and_booking_combination():
    combos = {(row["scope"], row["change"], row["bookings"]) for row in ROWS}
    assert len(combos) == len(ROWS) == len(SCOPES) * len(CHANGES) * 2


@pytest.mark.parametrize(
    "row", ROWS, ids=lambda r: f"{r['scope']}-{r['change']}-{'booked' if r['bookings'] else 'free'}"
)
def test_recurrence_edit(any_app, row):
    world = build_world()
    if row["bookings"]:
        book(world.session_on(date(2026, 3, 10)), person("+4520000010", "en"))
        later = world.session_on(date(2026, 3, 24))
        book(later, person("+4520000024"), "waitlisted")
        book(later, person(phone=None))
    db.session.commit()
    before = _snapshot(world.walk.id)
    bookings_before = db.session.scalar(select(func.count()).select_from(Booking))
    pivot = world.session_on(date(2026, 3, 10))

    try:
        edit_series(
            db.session,
            pivot,
            row["scope"],
            CHANGES[row["change"]],
            NOW,
            MANAGER,
            tz=CPH,
            horizon_weeks=HORIZON_WEEKS,
            settings=current_settings(),
        )
    except HavehusError as error:
        assert error.code == row.get("error"), error.message
        db.session.rollback()
    else:
        assert "error" not in row
        db.session.commit()

    coming = db.session.scalars(
        select(Session)
        .where(Session.activity_id == world.walk.id, Session.starts_at > NOW)
        .order_by(Session.starts_at)
    ).all()
    assert [_label(s) for s in coming] == row["sessions"]
    notices = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == "change").order_by(OutboundMessage.id)
    ).all()
    about = [db.session.get(Session, m.session_id) for m in notices]
    assert sorted(f"{s.starts_at.astimezone(CPH):%m-%d %H:%M}" for s in about) == sorted(
        row["notices"]
    )
    assert all(m.status == "pending" and m.send_after == NOW for m in notices)

    # No booking is ever deleted, the past never changes, and every session whose time or
    # status changed carries a higher sequence (calendars update it).
    assert db.session.scalar(select(func.count()).select_from(Booking)) == bookings_before
    after = _snapshot(world.walk.id)
    for uid, (starts, ends, status, sequence) in before.items():
        if starts <= NOW:
            assert after[uid] == (starts, ends, status, sequence)
        elif uid in after and after[uid][:3] != (starts, ends, status):
            assert after[uid][3] == sequence + 1
    # The nightly expansion afterwards adds nothing back.
    db.session.refresh(world.walk)
    until = horizon_until(NOW, CPH, HORIZON_WEEKS)
    assert expand_activity(db.session, world.walk, until, NOW, CPH) == 0
