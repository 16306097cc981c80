"""Issue 7's acceptance: a planner's cancel and move reach subscribed calendars, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from havehus.config import current_settings
from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token
from havehus.people.audit import CLI
from havehus.program.services import expand_horizon
from havehus.program.sessions import cancel_session, move_session

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)  # the week before the clocks go forward


def _events(client, path: str) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(client.get(path).get_data())
    window = recurring_ical_events.of(calendar).between(date(2027, 3, 1), date(2027, 5, 1))
    return {str(event["UID"]): event for event in window}


def test_cancel_and_move_show_in_public_and_partner_calendars(
    app, client, make_activity, make_location, clock
):
    clock.set(NOW)
    walk = make_activity(
        slug="gaa", title={"da": "Gå-fællesskab"}, category="walking",
        rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=date(2027, 3, 2), start_time=time(10),
        duration_minutes=60, location=make_location(),
    )  # fmt: skip
    expand_horizon(db.session, 6, NOW, CPH)
    _feed, partner = create_feed_token(db.session, "partner", NOW, name="Kommunen", language="da")
    db.session.commit()
    sessions = sorted(walk.sessions, key=lambda s: s.starts_at)
    before_dst = next(s for s in sessions if s.starts_at.date() == date(2027, 3, 23))
    after_dst = next(s for s in sessions if s.starts_at.date() == date(2027, 3, 30))
    uid_cancelled, uid_moved = before_dst.uid, after_dst.uid

    for path in ("/calendar.ics", f"/feeds/{partner}.ics"):
        events = _events(client, path)
        assert events[uid_moved]["DTSTART"].dt.astimezone(CPH).time() == time(10)

    cancel_session(
        db.session, before_dst, "Stormvarsel", NOW, CLI, tz=CPH, settings=current_settings()
    )
    move_session(
        db.session, after_dst, date(2027, 3, 31), time(14), time(15), None, NOW, CLI,
        tz=CPH, expected_sequence=after_dst.sequence,
        settings=current_settings(),
    )  # fmt: skip
    db.session.commit()

    for path in ("/calendar.ics", f"/feeds/{partner}.ics"):
        events = _events(client, path)
        assert events[uid_cancelled]["STATUS"] == "CANCELLED"
        moved = events[uid_moved]
        start = moved["DTSTART"].dt.astimezone(CPH)
        assert (start.date(), start.time()) == (date(2027, 3, 31), time(14))  # summer time
        assert moved["DTSTART"].dt.utcoffset() == timedelta(hours=2)
        assert int(moved["SEQUENCE"]) >= 1
