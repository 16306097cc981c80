"""Checks at send time: quiet hours (the worker was down) and sessions moved meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.outbox import process_due
from havehus.messaging.quiet import QuietHours
from havehus.models import OutboundMessage
from havehus.worker import queue_due_reminders
from tests.messaging.test_outbox import RecordingGateway
from tests.messaging.test_reminders import QUIET, START, queue_at, reminders

QUIET_HOURS = QuietHours(start=QUIET["quiet_start"], end=QUIET["quiet_end"], tz=QUIET["tz"])
#: Wednesday 2 December 2026, 22:30 in Copenhagen: inside quiet hours (21:00–08:00).
LATE_EVENING = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
#: Thursday 3 December, 08:00 in Copenhagen: quiet hours end.
MORNING = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def send(gateway: RecordingGateway, now: datetime):
    run = process_due(
        db.session, gateway, now, "worker-1", 300, quiet=QUIET_HOURS, settings=current_settings()
    )
    db.session.expire_all()
    return run


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(any_app, booked):
    booked()  # Thursday 17:00
    # Queued at 20:40, before quiet hours, but the worker only came back at 22:30.
    queue_at(START - timedelta(hours=24))
    (message,) = reminders()
    gateway = RecordingGateway()
    run = send(gateway, LATE_EVENING)
    assert run.postponed == [message.id] and gateway.sent == []
    waiting = db.session.get(OutboundMessage, message.id)
    assert waiting.status == "pending" and waiting.send_after == MORNING
    assert waiting.attempts == 0  # waiting is not an attempt
    assert send(gateway, MORNING).sent == [message.id]
    assert len(gateway.sent) == 1


def test_a_reminder_whose_session_starts_before_quiet_hours_end_is_dropped(any_app, booked):
    early = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # Thursday 07:30 in Copenhagen
    booked(early)
    queue_at(early - timedelta(hours=24))
    (message,) = reminders()
    gateway = RecordingGateway()
    run = send(gateway, LATE_EVENING)
    assert run.skipped == [message.id] and gateway.sent == []
    assert "quiet hours" in db.session.get(OutboundMessage, message.id).last_error


def test_a_reminder_outside_quiet_hours_goes_at_once(any_app, booked):
    booked()
    queue_at(START - timedelta(hours=3))
    gateway = RecordingGateway()
    assert len(send(gateway, START - timedelta(hours=3)).sent) == 1


def test_a_session_moved_later_takes_its_queued_reminder_along(any_app, booked):
    session, (booking,) = booked()
    queue_at(START - timedelta(hours=3))
    (old,) = reminders()
    # Moved a day later before the worker sent the 3-hour reminder.
    session.starts_at += timedelta(days=1)
    session.ends_at += timedelta(days=1)
    db.session.commit()
    gateway = RecordingGateway()
    result = queue_due_reminders(any_app, START - timedelta(hours=3))
    assert result == {"reminders_queued": 0, "reminders_of_moved_sessions": 1}
    assert send(gateway, START - timedelta(hours=3)).sent == [] and gateway.sent == []
    dropped = db.session.get(OutboundMessage, old.id)
    assert dropped.status == "skipped" and dropped.dedupe_key is None
    # At the new time the same offset is queued afresh, naming the new day, and sent once.
    new_due = session.starts_at - timedelta(hours=3)
    db.session.commit()  # end the read, so the worker's write is seen by the next one
    assert queue_due_reminders(any_app, new_due)["reminders_queued"] == 1
    assert len(send(gateway, new_due).sent) == 1
    ((_, body),) = gateway.sent
    assert "fredag" in body and body != old.body
    keys = db.session.scalars(
        select(OutboundMessage.dedupe_key).where(OutboundMessage.status == "sent")
    ).all()
    assert keys == [f"reminder:{booking.id}:{session.id}:180"]


def test_a_session_moved_earlier_gets_its_reminder_now(any_app, booked):
    session, _ = booked()
    queue_at(START - timedelta(hours=24))  # Wednesday 17:00: the 24-hour reminder
    now = START - timedelta(hours=23)
    session.starts_at = now + timedelta(hours=2)  # now Wednesday 20:00
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    gateway = RecordingGateway()
    # Not yet sent when it moved: the stale one is dropped, the 3-hour one is due at once.
    assert queue_due_reminders(any_app, now)["reminders_queued"] == 1
    assert len(send(gateway, now).sent) == 1
    ((_, body),) = gateway.sent
    assert "onsdag" in body


def test_a_move_between_queueing_and_sending_is_caught_at_send_time(any_app, booked):
    session, _ = booked()
    queue_at(START - timedelta(hours=3))
    (message,) = reminders()
    session.starts_at += timedelta(hours=1)
    session.ends_at += timedelta(hours=1)
    db.session.commit()
    gateway = RecordingGateway()
    run = send(gateway, START - timedelta(hours=3))
    assert run.skipped == [message.id] and gateway.sent == []
    assert db.session.get(OutboundMessage, message.id).dedupe_key is None
