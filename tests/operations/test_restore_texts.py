"""After a restore no text goes out twice and no opt-out is lost (fake Twilio, both databases)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.messaging import optout_log
from havehus.messaging.outbox import process_due
from havehus.messaging.replies import handle_inbound
from havehus.models import OptOut, OutboundMessage
from tests.conftest import DEFAULT_NOW
from tests.factories import number_key
from tests.messaging.fake_twilio import FakeTwilio
from tests.messaging.test_twilio_gateway import gateway

NOW = DEFAULT_NOW
LEASE = 300
SENT_AFTER_BACKUP = "+4520990001"
DUE_TOMORROW = "+4520990002"
SAYS_STOP = "+4520990003"


@pytest.fixture
def twilio(httpserver) -> FakeTwilio:
    fake = FakeTwilio(httpserver)
    fake.clock = NOW
    return fake


def queue(phone: str, body: str, send_after, **fields) -> int:
    message = OutboundMessage(
        to_phone=phone,
        language="da",
        body=body,
        kind="change",
        send_after=send_after,
        created_at=NOW - timedelta(minutes=30),
        status="pending",
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message.id


def statuses() -> dict[str, str]:
    rows = db.session.execute(select(OutboundMessage.to_phone, OutboundMessage.status)).all()
    db.session.rollback()
    return dict(rows)


def run_worker(twilio: FakeTwilio, at):
    result = process_due(
        db.session, gateway(twilio.base), at, "worker-1", LEASE, settings=current_settings()
    )
    db.session.expire_all()
    return result


def test_texts_pending_at_the_backup_are_looked_up_not_sent_twice(
    migrated_app, twilio, clock, tmp_path
):
    queue(
        SENT_AFTER_BACKUP, "Tirsdag er flyttet til onsdag", NOW, expires_at=NOW + timedelta(hours=4)
    )
    queue(DUE_TOMORROW, "Husk i morgen", NOW + timedelta(days=1))
    queue(SAYS_STOP, "Nyt om haven", NOW + timedelta(hours=2))
    target = tmp_path / "before.backup"
    assert (
        migrated_app.test_cli_runner().invoke(args=["backup", "--output", str(target)]).exit_code
        == 0
    )

    # After the backup: the worker sends the first text, a number says STOP.
    run_worker(twilio, NOW + timedelta(minutes=5))
    assert twilio.texts_to(SENT_AFTER_BACKUP) == 1
    with migrated_app.test_request_context():
        handle_inbound(
            db.session, from_phone=SAYS_STOP, body="STOP", message_sid="SM" + "1" * 32,
            now=NOW + timedelta(minutes=6),
            settings=current_settings(),
        )  # fmt: skip
    db.session.commit()
    written = (tmp_path / "instance" / "opt-outs.jsonl").read_text()
    log = [json.loads(line) for line in written.splitlines()]
    assert log == [
        {
            "at": "2026-12-02T11:06:00+00:00",
            "phone_hash": number_key(SAYS_STOP),
            "action": "stop",
            "source": "sms",
        }
    ]
    assert SAYS_STOP not in written and SAYS_STOP[3:] not in written  # the number is not kept

    clock.advance(timedelta(minutes=10))
    result = migrated_app.test_cli_runner().invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Texts to look up at the provider before sending: 3" in result.output
    assert "opt-outs applied again: 1" in result.output
    assert set(statuses().values()) == {"unknown"}
    assert db.session.scalar(select(OptOut.phone_hash)) == number_key(SAYS_STOP)
    db.session.rollback()

    # The worker looks every one up before sending anything.
    run = run_worker(twilio, NOW + timedelta(minutes=15))
    assert len(run.reconciled) == 1 and run.sent == []
    assert statuses() == {
        SENT_AFTER_BACKUP: "sent",  # Twilio has it: recorded, not sent again
        DUE_TOMORROW: "pending",  # never sent: waits for its own time
        SAYS_STOP: "pending",
    }
    assert twilio.texts_to(SENT_AFTER_BACKUP) == 1

    run_worker(twilio, NOW + timedelta(days=1, minutes=1))
    assert statuses()[DUE_TOMORROW] == "sent" and twilio.texts_to(DUE_TOMORROW) == 1
    assert statuses()[SAYS_STOP] == "skipped" and twilio.texts_to(SAYS_STOP) == 0
    assert twilio.texts_to(SENT_AFTER_BACKUP) == 1


def test_the_opt_out_log_replays_stop_and_start_in_order(migrated_app, tmp_path):
    path = tmp_path / "log.jsonl"
    with migrated_app.test_request_context():
        change_settings(migrated_app, opt_out_log=str(path))
        settings = current_settings()
        for number, action, source, minutes in (
            (SAYS_STOP, optout_log.STOP, "sms", -60),
            (SAYS_STOP, optout_log.START, "sms", 1),
            (DUE_TOMORROW, optout_log.STOP, "provider", 2),
            (DUE_TOMORROW, optout_log.START, "sms", 3),
            (DUE_TOMORROW, optout_log.STOP, "sms", 4),
        ):
            optout_log.append(
                settings,
                number_key(number),
                action,
                source,
                NOW + timedelta(minutes=minutes),
            )
    with path.open("a") as fh:
        fh.write('{"at": "2026-12-02T11:05:00+00:00", "phone": "+45209')  # a torn last line
    db.session.add(
        OptOut(
            phone_hash=number_key(SAYS_STOP), opted_out_at=NOW - timedelta(hours=1), source="sms"
        )
    )
    db.session.commit()

    entries = optout_log.entries_since(path, NOW, current_settings())
    assert [(e.phone_hash, e.action) for e in entries] == [
        (number_key(SAYS_STOP), "start"),
        (number_key(DUE_TOMORROW), "stop"),
        (number_key(DUE_TOMORROW), "start"),
        (number_key(DUE_TOMORROW), "stop"),
    ]
    optout_log.reapply(db.session, entries)
    db.session.commit()
    assert set(db.session.scalars(select(OptOut.phone_hash))) == {number_key(DUE_TOMORROW)}


def test_lines_written_with_numbers_in_clear_are_read_hashed_and_rewritten(migrated_app, tmp_path):
    """A log from before opt-outs were hashed still works, and the migration's rewrite leaves
    no number in it."""
    path = tmp_path / "old.jsonl"
    line = {"at": "2026-12-02T11:06:00+00:00", "phone": SAYS_STOP, "action": "stop"}
    path.write_text(json.dumps(line | {"source": "sms"}) + "\n")
    with migrated_app.test_request_context():
        [entry] = optout_log.entries_since(path, None, current_settings())
        assert entry.phone_hash == number_key(SAYS_STOP) and entry.action == "stop"
        assert optout_log.hash_old_lines(path, current_settings()) == 1
        assert SAYS_STOP not in path.read_text()
        assert optout_log.entries_since(path, None, current_settings()) == [entry]
        assert optout_log.hash_old_lines(path, current_settings()) == 0


def test_a_person_erased_after_the_backup_is_erased_again_by_the_restore(
    migrated_app, clock, tmp_path
):
    from havehus.models import Participant
    from havehus.people import erasure_log
    from havehus.people.audit import CLI
    from havehus.signup.staff import erase_participant
    from tests.factories import add_participant

    hanne = add_participant("Hanne Restore", at=NOW, phone="+4520990044")
    db.session.commit()
    hanne_id = hanne.id
    target = tmp_path / "before.backup"
    runner = migrated_app.test_cli_runner()
    assert runner.invoke(args=["backup", "--output", str(target)]).exit_code == 0

    clock.advance(timedelta(minutes=5))
    with migrated_app.test_request_context():
        erase_participant(db.session, hanne, NOW + timedelta(minutes=5), CLI, current_settings())
        db.session.commit()
        written = erasure_log.log_path(current_settings()).read_text()
    assert "Hanne" not in written and "+4520990044" not in written  # an id and a time only

    clock.advance(timedelta(minutes=5))
    result = runner.invoke(args=["restore", str(target), "--yes"])

    assert result.exit_code == 0, result.output
    assert "people erased again: 1" in result.output
    back = db.session.get(Participant, hanne_id)
    assert back.display_name == "" and back.phone is None and back.anonymised_at is not None
    again = runner.invoke(args=["restore", str(target), "--yes"])
    assert "people erased again: 1" in again.output  # every restore of that backup does it
    # The corrections in force are rewritten from the restored decisions (none here).
    overrides = tmp_path / "instance" / "translation-overrides.json"
    assert overrides.exists() and overrides.read_text().strip() == "{}"
