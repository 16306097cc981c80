"""Erasing a person everywhere, keeping the counts: what each text column is to erasure.

`anonymise` (retention.py) erases the person's own row and calls `erase_traces` for the rest:
the texts sent to them and received from them, their bookings' notes, the follow-up list, the
audit trail's details about them, pending sign-up codes. Their bookings, visits, tallies and
outreach counts stay, tied to a nameless row, so this year's figures do not change.

Every string, text and JSON column of the schema is declared below, either as erased (and
how) or as not personal (and why); tests/people/test_erasure.py fails for a column in
neither, so a new column cannot escape erasure unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, or_, select, update

from havehus.models import (
    AuditEvent,
    Booking,
    FeedToken,
    FollowUp,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    Participant,
    SignupChallenge,
)
from havehus.orm import OrmSession

#: Columns that can hold a participant's name, number, words or notes, and what erasure does.
ERASED: dict[str, str] = {
    "participant.display_name": "emptied",
    "participant.phone": "emptied",
    "participant.staff_note": "emptied",
    "participant.import_key": "emptied (the keyed hash of an imported name)",
    "booking.staff_note": "emptied on the person's bookings",
    "outbound_message.to_phone": "emptied on texts to the person or their number",
    "outbound_message.body": "emptied likewise (a pending one is skipped, never sent)",
    "outbound_message.last_error": "emptied likewise (an error may quote the number)",
    "inbound_message.from_phone": "emptied on texts from the person or their number",
    "inbound_message.body": "emptied likewise",
    "audit_event.details": "values naming the person or their number emptied",
    "audit_event.ip": "emptied on the person's own requests (public actor)",
    "follow_up.reason": "the person's follow-up entries deleted",
    "follow_up.occurrence": "deleted likewise",
    "follow_up.state": "deleted likewise",
    "signup_challenge.display_name": "pending codes for the number deleted",
    "signup_challenge.phone": "deleted likewise",
    "signup_challenge.ip": "deleted likewise",
    "feed_token.name": "emptied on the person's calendar addresses, which are revoked",
}

#: Columns that hold nothing of one participant, and why.
NOT_PERSONAL: dict[str, str] = {
    # Pseudonymous: kept so the nameless row still counts in the figures.
    "participant.public_id": "random, names no one; the nameless row keeps it",
    "participant.language": "kept for the figures (which languages the house reaches)",
    "participant.channel": "kept for the figures (how people heard of the house)",
    "consent.kind": "the person's consents are deleted",
    "consent.wording_version": "the person's consents are deleted",
    "booking.status": "a state",
    "booking.source": "a state",
    "booking.cancel_token_hash": "a hash of a random token",
    "booking.link_nonce": "random",
    "visit.booking_status_before": "a state",
    "visit.source": "a state",
    "outbound_message.language": "a language code",
    "outbound_message.kind": "a kind",
    "outbound_message.dedupe_key": "kind and record ids only",
    "outbound_message.status": "a state",
    "outbound_message.claimed_by": "a worker's id",
    "outbound_message.request_id": "the id of the web request that queued the text (random)",
    "outbound_message.provider_sid": "Twilio's random id",
    "inbound_message.provider_sid": "Twilio's random id",
    "inbound_message.interpreted_as": "yes, no, stop …: kept as a count",
    "opt_out.phone_hash": "a keyed hash, kept on purpose: a STOP outlives erasure",
    "opt_out.source": "a state",
    "outreach_contact.key": "an idempotency key",
    "outreach_contact.channel": "a channel; the count stays",
    "attendance_tap.key": "an idempotency key",
    "attendance_tap.action": "a state",
    "attendance_tap.subject": "a booking id, tally kind or visit id",
    "tally.kind": "an anonymous count",
    "feed_token.kind": "a kind",
    # Staff and catalogue work: no resident in them.
    "staff_user.translates": "a language code",
    "translation_review.language": "a language code",
    "translation_review.msgid": "a catalogue string (the app's own text)",
    "translation_review.verdict": "a state",
    "translation_review.suggestion": "a translator's wording of a catalogue string",
    "translation_review.decision": "a state",
    "feed_token.token_hash": "a hash of a random token",
    "feed_token.language": "a language code",
    "feed_token.categories": "activity categories",
    "signup_challenge.language": "a language code (the row is deleted anyway)",
    "signup_challenge.code_hash": "a hash (the row is deleted anyway)",
    "audit_event.actor_kind": "a kind",
    "audit_event.action": "a verb",
    "audit_event.target_type": "a table",
    "audit_event.target_id": "a row id",
    # Staff, not participants: their accounts are managed by admins (people/services.py).
    "staff_user.email": "a staff member's",
    "staff_user.name": "a staff member's",
    "staff_user.phone": "a staff member's",
    "staff_user.role": "a staff member's",
    "staff_user.password_hash": "a staff member's",
    "staff_user.language": "a staff member's",
    "staff_user.totp_secret": "a staff member's",
    "login_attempt.email": "staff sign-in; deleted after login_attempt_retention_days",
    "login_attempt.ip": "staff sign-in; deleted likewise",
    "login_attempt.device": "staff sign-in; deleted likewise",
    "staff_session.token_hash": "a hash",
    "staff_invite.purpose": "a staff invitation",
    "staff_invite.token_hash": "a hash",
    "recovery_code.code_hash": "a hash",
    "api_token.name": "a staff tool's name",
    "api_token.role": "a role",
    "api_token.token_hash": "a hash",
    "api_token.prefix": "a token's first characters",
    "kiosk_device.name": "a tablet's name",
    "kiosk_device.token_hash": "a hash",
    "report_year_snapshot.frozen_by_name": "the staff member who froze a year",
    "report_year_snapshot.data": "figures, small groups hidden",
    # The program and the house: written about activities and sessions, not about a person.
    "activity.slug": "the program",
    "activity.title": "the program",
    "activity.summary": "the program",
    "activity.neutral_title": "the program",
    "activity.category": "the program",
    "activity.activity_type": "the program",
    "activity.theme_tags": "the program",
    "activity.pictogram": "the program",
    "activity.photo": "the program",
    "activity.price_text": "the program",
    "activity.mode": "the program",
    "activity.offer_policy": "the program",
    "activity.reminder_offsets": "the program",
    "activity.visibility": "the program",
    "activity.spoken_languages": "the program",
    "activity.interpreter_languages": "the program",
    "activity.rrule": "the program",
    "session.uid": "the program",
    "session.status": "the program",
    "session.cancel_reason": "a note about the session, shown to everyone booked",
    "session.note": "a note about the session",
    "session_attendance.note": "the host's note about the session",
    "closure.reason": "the house's closure",
    "broadcast.purpose": "a kind",
    "broadcast.texts": "a notice to everyone booked, written by a manager",
    "location.slug": "the house",
    "location.name": "the house",
    "location.address": "the house",
    "room.name": "the house",
    "department.slug": "a housing department",
    "department.name": "a housing department",
    "department_population.source": "a statistic's source",
    # Reports and operations.
    "report_indicator.sub_goal": "the reports",
    "report_indicator.name": "the reports",
    "report_indicator.kind": "the reports",
    "report_indicator.figure": "the reports",
    "report_indicator.baseline_value": "the reports",
    "report_indicator.municipal_baseline": "the reports",
    "report_indicator.data_source": "the reports",
    "report_indicator.direction": "the reports",
    "report_indicator.activity_type": "the reports",
    "report_indicator.theme": "the reports",
    "report_indicator_value.value": "the reports",
    "report_indicator_value.source": "the reports",
    "report_target.measure": "the reports",
    "report_target.comparison": "the reports",
    "report_target.sub_goal": "the reports",
    "report_target.activity_type": "the reports",
    "report_target.theme": "the reports",
    "backup_run.path": "operations",
    "backup_run.kind": "operations",
    "backup_run.nightly_key": "operations",
    "backup_run.error": "operations",
    "worker_heartbeat.worker_id": "operations",
    "worker_heartbeat.version": "operations",
}

#: Texts that will not be sent now that their person is erased.
UNSENT = (MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.UNKNOWN)


def _scrub(value: Any, secrets: set[str]) -> Any:
    """The value with every string naming one of `secrets` emptied (dicts and lists walked)."""
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, str) and any(secret in value for secret in secrets):
        return ""
    return value


def erase_traces(orm: OrmSession, people: Sequence[Participant], now: datetime) -> None:
    """Remove what the rows around these people still say about them (their own row is
    emptied by `anonymise`, which calls this first, while their name and number are known)."""
    if not people:
        return
    ids = [person.id for person in people]
    phones = sorted({person.phone for person in people if person.phone})
    names = {person.display_name for person in people if len(person.display_name) >= 2}
    # Texts to them, and texts about their bookings to others (a companion's reminder names
    # the person it goes with).
    texts_to: ColumnElement[bool] = or_(
        OutboundMessage.participant_id.in_(ids),
        OutboundMessage.booking_id.in_(select(Booking.id).where(Booking.participant_id.in_(ids))),
    )
    texts_from: ColumnElement[bool] = InboundMessage.participant_id.in_(ids)
    if phones:
        texts_to = or_(texts_to, OutboundMessage.to_phone.in_(phones))
        texts_from = or_(texts_from, InboundMessage.from_phone.in_(phones))
        orm.execute(delete(SignupChallenge).where(SignupChallenge.phone.in_(phones)))
    orm.execute(
        update(OutboundMessage)
        .where(texts_to, OutboundMessage.status.in_(UNSENT))
        .values(status=MessageStatus.SKIPPED, dedupe_key=None)
    )
    orm.execute(
        update(OutboundMessage).where(texts_to).values(to_phone="", body="", last_error=None)
    )
    orm.execute(update(InboundMessage).where(texts_from).values(from_phone="", body=""))
    # No link in an old text opens their bookings any more (the token is derived, then hashed).
    orm.execute(
        update(Booking)
        .where(Booking.participant_id.in_(ids))
        .values(staff_note=None, cancel_token_hash=None, link_nonce=None)
    )
    orm.execute(delete(FollowUp).where(FollowUp.participant_id.in_(ids)))
    orm.execute(update(FeedToken).where(FeedToken.participant_id.in_(ids)).values(name=""))

    about_them = (AuditEvent.target_type == "Participant") & AuditEvent.target_id.in_(
        [str(i) for i in ids]
    )
    orm.execute(
        update(AuditEvent).where(about_them, AuditEvent.actor_kind == "public").values(ip=None)
    )
    mentions = [cast(AuditEvent.details, Text).contains(phone) for phone in phones]
    secrets = set(phones)
    for event in orm.scalars(select(AuditEvent).where(or_(about_them, *mentions))):
        scrubbed = _scrub(event.details, secrets | names if _targets(event, ids) else secrets)
        if scrubbed != event.details:
            event.details = scrubbed


def _targets(event: AuditEvent, ids: Sequence[int]) -> bool:
    return event.target_type == "Participant" and event.target_id in {str(i) for i in ids}
