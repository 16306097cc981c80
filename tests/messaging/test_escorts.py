"""Volunteers are texted too: a companion before the session, a host before the shift."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.outbox import process_due
from havehus.models import OutboundMessage
from havehus.signup.reminders import SHIFT_REMINDER_MINUTES, queue_reminders
from tests.messaging.test_outbox import RecordingGateway
from tests.messaging.test_reminders import QUIET, START


def _texts(kind: str) -> list[OutboundMessage]:
    return list(
        db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == kind).order_by(OutboundMessage.id)
        )
    )


def test_a_companion_gets_the_reminder_too(any_app, booked, make_user):
    session, [booking] = booked(offsets=(180,))
    companion = make_user("host", phone="+4530300001", language="en")
    booking.wants_company = True
    booking.companion_id = companion.id
    db.session.commit()
    assert (
        queue_reminders(
            db.session, START - timedelta(minutes=170), **QUIET, settings=current_settings()
        )
        == 2
    )
    db.session.commit()
    to_companion = [m for m in _texts("reminder") if m.to_phone == "+4530300001"]
    assert len(to_companion) == 1
    assert booking.participant.display_name in to_companion[0].body
    assert "Cooking together" in to_companion[0].body  # in the volunteer's language
    assert (
        queue_reminders(
            db.session, START - timedelta(minutes=160), **QUIET, settings=current_settings()
        )
        == 0
    )


def test_a_companion_removed_meanwhile_gets_nothing(any_app, booked, make_user):
    session, [booking] = booked(offsets=(180,))
    companion = make_user("host", phone="+4530300002")
    booking.companion_id = companion.id
    db.session.commit()
    moment = START - timedelta(minutes=170)
    queue_reminders(db.session, moment, **QUIET, settings=current_settings())
    db.session.commit()
    booking.companion_id = None
    db.session.commit()
    gateway = RecordingGateway()
    process_due(db.session, gateway, moment, "w1", 60, settings=current_settings())
    assert [to for to, _body in gateway.sent] == [booking.participant.phone]


def test_a_host_is_texted_once_before_the_shift(any_app, booked, make_user):
    session, _bookings = booked(offsets=())
    host = make_user("host", phone="+4530300003")
    no_phone = make_user("host")
    session.hosts.extend([host, no_phone])
    db.session.commit()
    early = START - timedelta(minutes=SHIFT_REMINDER_MINUTES + 60)
    assert queue_reminders(db.session, early, **QUIET, settings=current_settings()) == 0
    due = START - timedelta(minutes=SHIFT_REMINDER_MINUTES - 10)
    assert queue_reminders(db.session, due, **QUIET, settings=current_settings()) == 1
    assert (
        queue_reminders(db.session, due + timedelta(hours=2), **QUIET, settings=current_settings())
        == 0
    )
    db.session.commit()
    [shift] = _texts("shift")
    assert shift.to_phone == "+4530300003" and "Sammen om maden" in shift.body
    gateway = RecordingGateway()
    process_due(db.session, gateway, due, "w1", 60, settings=current_settings())
    assert gateway.sent == [("+4530300003", shift.body)]


def test_a_host_taken_off_the_rota_or_a_cancelled_shift_is_not_texted(any_app, booked, make_user):
    session, _bookings = booked(offsets=())
    host = make_user("host", phone="+4530300004")
    session.hosts.append(host)
    db.session.commit()
    due = START - timedelta(minutes=SHIFT_REMINDER_MINUTES - 10)
    queue_reminders(db.session, due, **QUIET, settings=current_settings())
    db.session.commit()
    session.hosts.clear()
    db.session.commit()
    gateway = RecordingGateway()
    process_due(db.session, gateway, due, "w1", 60, settings=current_settings())
    assert gateway.sent == []
    assert _texts("shift")[0].status == "skipped"


def test_a_shift_text_never_goes_out_in_quiet_hours(any_app, booked, make_user):
    from datetime import UTC, datetime

    early_start = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 07:30 in Copenhagen
    session, _bookings = booked(early_start, offsets=())
    host = make_user("host", phone="+4530300005")
    session.hosts.append(host)
    db.session.commit()
    # 24 hours before is 07:30 on Wednesday, in quiet hours (until 08:00): the text is due
    # before the quiet hours began, at 20:45 on Tuesday evening, and not at 07:30.
    assert (
        queue_reminders(
            db.session,
            datetime(2026, 12, 1, 19, 40, tzinfo=UTC),
            **QUIET,
            settings=current_settings(),
        )
        == 0
    )
    assert (
        queue_reminders(
            db.session,
            datetime(2026, 12, 1, 19, 50, tzinfo=UTC),
            **QUIET,
            settings=current_settings(),
        )
        == 1
    )
