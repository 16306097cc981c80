"""Twilio's webhooks: replies at /sms/inbound and delivery reports at /sms/status.

Both are signed by Twilio (X-Twilio-Signature, an HMAC of the URL and the form with the account's
auth token). The URL is rebuilt from HAVEHUS_PUBLIC_URL, never from the Host header, so the
check is right behind a proxy and cannot be steered by the request. Without an auth token in the
configuration nothing can be verified, so everything is refused: there is no "open" mode.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from havehus.config import current_settings
from havehus.dbutil import db_int
from havehus.extensions import db
from havehus.input_guard import takes_raw_input
from havehus.messaging import delivery, replies
from havehus.timeutil import utcnow

log = logging.getLogger("havehus.messaging")

bp = Blueprint("sms", __name__)


def public_request_url() -> str:
    """The URL Twilio was told to call: the public URL, this path and query string."""
    url = current_settings().public_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def signed_by_twilio() -> bool:
    """Whether the request carries Twilio's valid signature; logs why not (never the token)."""
    token = current_settings().twilio_auth_token or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    reason = None
    if not token:
        reason = "HAVEHUS_TWILIO_AUTH_TOKEN is not set, so no signature can be checked"
    elif not signature:
        reason = "no X-Twilio-Signature"
    elif not RequestValidator(token).validate(public_request_url(), request.form, signature):
        reason = "wrong X-Twilio-Signature"
        if request.headers.get(SIGNATURE_SETTINGS_HEADER):
            reason += " (signed with a webhook SharedKey; havehus checks the auth token)"
    if reason is None:
        return True
    log.warning(
        "Refused %s %s from %s: %s", request.method, request.path, request.remote_addr, reason
    )
    return False


def _refused() -> Response:
    return Response("Forbidden: not signed by Twilio.\n", 403, content_type="text/plain")


def _twiml(reply: str | None) -> Response:
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), 200, content_type="application/xml")


#: Twilio's message SIDs ("SM" and 32 hex digits), no longer than the columns that keep them.
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
#: A sender is a number (or a short sender name), never longer than the column keeps.
_SENDER = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,20}")
_STATUS = re.compile(r"[a-z_]{1,20}")


def _ignored(reason: str) -> None:
    # Answered with success all the same: Twilio would retry a refusal for hours.
    log.warning(
        "Ignored %s %s from %s: %s", request.method, request.path, request.remote_addr, reason
    )


def _error_code(raw: str) -> int | None:
    """Twilio's ErrorCode as a number a column holds; anything else is logged and left out."""
    if not raw:
        return None
    try:
        return db_int(raw)
    except ValueError:
        log.warning("Status report with an ErrorCode that is no error code: %r", raw[:40])
        return None


@bp.post("/sms/inbound")
@takes_raw_input
def inbound() -> ResponseReturnValue:
    if not signed_by_twilio():
        return _refused()
    sender = request.form.get("From", "").strip()
    sid = request.form.get("MessageSid", "").strip()
    body = request.form.get("Body", "")
    if not sender or not sid:
        return Response("From and MessageSid are required.\n", 400, content_type="text/plain")
    if not (_SENDER.fullmatch(sender) and _SID.fullmatch(sid)) or "\x00" in body:
        _ignored("a reply whose sender, MessageSid or text no real text message has")
        return _twiml(None)
    reply = replies.handle_inbound(
        db.session,
        from_phone=sender,
        body=body,
        message_sid=sid,
        now=utcnow(),
        settings=current_settings(),
    )
    db.session.commit()
    return _twiml(reply)


@bp.post("/sms/status")
@takes_raw_input
def status() -> ResponseReturnValue:
    if not signed_by_twilio():
        return _refused()
    sid = request.form.get("MessageSid", "").strip()
    state = request.form.get("MessageStatus", "").strip()
    if not sid or not state:
        return Response(
            "MessageSid and MessageStatus are required.\n", 400, content_type="text/plain"
        )
    if not (_SID.fullmatch(sid) and _STATUS.fullmatch(state.lower())):
        _ignored("a status report whose MessageSid or MessageStatus is not one")
        return Response(status=204)
    code = _error_code(request.form.get("ErrorCode", "").strip())
    delivery.record_status(db.session, sid, state, code, utcnow(), current_settings())
    db.session.commit()
    return Response(status=204)
