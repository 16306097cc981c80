"""Reminders: one per booking and offset, the latest only, never in quiet hours or too late."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.messaging.outbox import process_due
from havehus.messaging.quiet import due_at
from havehus.models import Booking, OptOut, OutboundMessage, Session
from havehus.people.audit import CLI
from havehus.signup.reminders import queue_reminders
from havehus.signup.services import cancel
from tests.factories import number_key
from tests.messaging.test_outbox import RecordingGateway

TZ = ZoneInfo("Europe/Copenhagen")
QUIET = {"quiet_start": time(21, 0), "quiet_end": time(8, 0), "tz": TZ}
#: Thursday 3 December 2026, 17:00 in Copenhagen.
START = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
#: People joined, consented and opted out (where they did) well before any session here.
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def reminders() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.kind == "reminder")
            .order_by(OutboundMessage.id)
        )
    )


def queue_at(now: datetime) -> int:
    queued = queue_reminders(db.session, now, **QUIET, settings=current_settings())
    db.session.commit()
    return queued


def test_a_reminder_is_queued_once_its_offset_is_due(any_app, booked):
    session, (booking,) = booked()
    assert queue_at(START - timedelta(hours=3, seconds=1)) == 1  # the 24-hour one
    assert queue_at(START - timedelta(hours=3)) == 1
    assert queue_at(START - timedelta(hours=2)) == 0
    keys = [m.dedupe_key for m in reminders()]
    assert keys == [
        f"reminder:{booking.id}:{session.id}:1440",
        f"reminder:{booking.id}:{session.id}:180",
    ]


def test_the_reminder_says_what_a_no_show_costs_and_links_the_booking(any_app, booked):
    booked()
    queue_at(START - timedelta(hours=3))
    (message,) = reminders()
    assert message.language == "da" and message.expires_at == START
    assert "Sammen om maden" in message.body and "torsdag" in message.body
    assert "ventelisten" in message.body and "/bookings/" in message.body


def test_a_sensitive_activity_is_named_by_its_neutral_wording(any_app, booked):
    booked(sensitive=True, neutral_title={"da": "Sundhedstjek", "en": "Health check"})
    queue_at(START - timedelta(hours=3))
    (message,) = reminders()
    assert "Sundhedstjek" in message.body and "Sammen om maden" not in message.body


def test_only_the_latest_of_several_due_offsets_is_queued(any_app, booked):
    session, (booking,) = booked()
    # The worker was down for both due times: only the 3-hour reminder goes.
    assert queue_at(START - timedelta(hours=2)) == 1
    assert queue_at(START - timedelta(hours=1)) == 0
    (message,) = reminders()
    assert message.dedupe_key == f"reminder:{booking.id}:{session.id}:180"


def test_an_earlier_reminder_still_waiting_is_replaced_by_the_latest(any_app, booked):
    booked()
    queue_at(START - timedelta(hours=24))
    queue_at(START - timedelta(hours=3))
    first, latest = reminders()
    assert first.status == "skipped" and latest.status == "pending"
    run = process_due(
        db.session,
        RecordingGateway(),
        START - timedelta(hours=3),
        "w",
        300,
        settings=current_settings(),
    )
    assert run.sent == [latest.id]


def test_a_reminder_that_would_fall_in_quiet_hours_is_sent_the_evening_before(any_app, booked):
    # 09:00 local, 3 hours before is 06:00: inside quiet hours, so 20:45 the evening before.
    morning = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    booked(morning, offsets=[180])
    evening = datetime(2026, 12, 2, 19, 45, tzinfo=UTC)  # 20:45 in Copenhagen
    assert due_at(morning, 180, **QUIET) == evening
    assert queue_at(evening - timedelta(seconds=1)) == 0
    assert queue_at(evening) == 1
    assert reminders()[0].send_after == evening


def test_a_worker_late_into_quiet_hours_waits_for_the_morning(any_app, booked):
    morning = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 local
    booked(morning, offsets=[180])
    assert queue_at(datetime(2026, 12, 2, 22, 30, tzinfo=UTC)) == 1  # 23:30 local
    (message,) = reminders()
    assert message.send_after == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 08:00 local
    run = process_due(db.session, RecordingGateway(), datetime(2026, 12, 2, 23, 0, tzinfo=UTC),
                      "w", 300, settings=current_settings())  # fmt: skip
    assert run.sent == []


@pytest.mark.parametrize(
    ("start", "offset", "due"),
    [
        # Spring: Sunday 28 March 2027 10:00 CEST; 24 hours earlier is 09:00 CET on Saturday.
        (datetime(2027, 3, 28, 8, 0, tzinfo=UTC), 1440, datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),
        # 3 hours before is 07:00 CEST, in quiet hours: 20:45 CET the evening before.
        (datetime(2027, 3, 28, 8, 0, tzinfo=UTC), 180, datetime(2027, 3, 27, 19, 45, tzinfo=UTC)),
        # Autumn: Sunday 25 October 2026 10:00 CET; 24 hours earlier is 11:00 CEST on Saturday.
        (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), 1440, datetime(2026, 10, 24, 9, 0, tzinfo=UTC)),
        # 3 hours before is 07:00 CET, in quiet hours: 20:45 CEST the evening before.
        (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), 180, datetime(2026, 10, 24, 18, 45, tzinfo=UTC)),
    ],
)
def test_offsets_are_absolute_time_across_dst(any_app, booked, start, offset, due):
    booked(start, offsets=[offset])
    assert due_at(start, offset, **QUIET) == due
    assert queue_at(due - timedelta(seconds=1)) == 0
    assert queue_at(due) == 1


def test_no_reminder_for_a_cancelled_booking_or_session(any_app, booked):
    session, (booking,) = booked(people=1)
    other_session, _ = booked()
    cancel(db.session, booking, START - timedelta(days=2), CLI, current_settings())
    other_session.status = "cancelled"
    db.session.commit()
    assert queue_at(START - timedelta(hours=3)) == 0
    assert reminders() == []


def test_a_booking_cancelled_after_queueing_is_skipped_at_send_time(any_app, booked):
    _, (booking,) = booked()
    now = START - timedelta(hours=3)
    queue_at(now)
    cancel(db.session, booking, now, CLI, current_settings())
    db.session.commit()
    gateway = RecordingGateway()
    run = process_due(db.session, gateway, now, "w", 300, settings=current_settings())
    assert gateway.sent == [] and len(run.skipped) == 1
    (message,) = reminders()
    assert message.status == "skipped" and message.last_error == "the booking was cancelled"


def test_a_session_cancelled_after_queueing_is_skipped_at_send_time(any_app, booked):
    session, _ = booked()
    now = START - timedelta(hours=3)
    queue_at(now)
    db.session.get(Session, session.id).status = "cancelled"
    db.session.commit()
    gateway = RecordingGateway()
    process_due(db.session, gateway, now, "w", 300, settings=current_settings())
    assert gateway.sent == []
    assert reminders()[0].last_error == "the session was cancelled"


def test_stop_then_a_reminder_is_not_sent(any_app, booked):
    _, (booking, _other) = booked(people=2)
    now = START - timedelta(hours=3)
    queue_at(now)
    phone = booking.participant.phone
    db.session.add(OptOut(phone_hash=number_key(phone), opted_out_at=now, source="sms"))
    db.session.commit()
    gateway = RecordingGateway()
    process_due(db.session, gateway, now, "w", 300, settings=current_settings())
    assert [to for to, _ in gateway.sent] != [] and phone not in [to for to, _ in gateway.sent]
    stopped = [m for m in reminders() if m.to_phone == phone]
    assert [(m.status, m.last_error) for m in stopped] == [("skipped", "the number opted out")]


def test_a_number_that_opted_out_gets_no_reminder_queued(any_app, booked):
    _, (booking,) = booked()
    db.session.add(
        OptOut(phone_hash=number_key(booking.participant.phone), opted_out_at=JOINED, source="sms")
    )
    db.session.commit()
    assert queue_at(START - timedelta(hours=3)) == 0


def test_a_course_booking_is_reminded_before_each_session(any_app, make_session, booked):
    session, (booking,) = booked(mode="enrolment", offsets=[180])
    later = make_session(session.activity, START + timedelta(days=7))
    db.session.commit()
    assert booking.activity_id == session.activity_id
    queue_at(START - timedelta(hours=3))
    queue_at(later.starts_at - timedelta(hours=3))
    assert [m.session_id for m in reminders()] == [session.id, later.id]


def test_two_workers_racing_send_one_reminder_per_booking(any_app, booked):
    _, bookings = booked(people=8)
    phones = sorted(b.participant.phone for b in bookings)
    db.session.commit()
    now = START - timedelta(hours=3)
    gateway = RecordingGateway()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        with any_app.app_context():
            try:
                barrier.wait()
                queue_reminders(db.session, now, **QUIET, settings=current_settings())
                db.session.commit()
                process_due(db.session, gateway, now, name, 300, settings=current_settings())
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sorted(to for to, _ in gateway.sent) == phones
    assert len(reminders()) == len(bookings)
    links = {m.body.rsplit(" ", 1)[-1] for m in reminders()}
    assert len(links) == len(bookings)  # each booking's one link, the same in both workers
    assert db.session.scalar(select(Booking.link_nonce).where(Booking.id == bookings[0].id))


def test_worker_once_at_an_instant_queues_and_sends_the_reminders(app, booked):
    booked(people=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--once", "--at", "2026-12-03T14:00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert "queue_reminders: reminders_queued=2" in result.output
    assert "send_due_messages: sent=2" in result.output
    assert {m.status for m in reminders()} == {"sent"}
