"""Where texts go: the console backend logs them; Twilio sends them (twilio_gateway)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from havehus.config import ConfigError, Settings
from havehus.messaging.segments import count_segments

log = logging.getLogger("havehus.messaging")


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    segments: int


class TransientSendError(Exception):
    """The provider could not take the text now (5xx, 429, timeout, refused): try again later."""


class UnknownOutcomeError(Exception):
    """The request reached the provider but no answer came: the text may have been sent."""


class PermanentSendError(Exception):
    """The provider will never take this text (e.g. invalid or unsubscribed number)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class LookupFailedError(Exception):
    """The provider could not be asked (unreachable, 5xx): whether the text went out stays open."""


@dataclass(frozen=True)
class SentText:
    """What we know of a text whose outcome was lost, to look it up at the provider."""

    to: str
    body: str
    #: The attempt began no earlier than this instant.
    since: datetime
    provider_sid: str | None = None


@dataclass(frozen=True)
class ProviderMessage:
    """A text the provider holds: its SID, its status there and what it cost."""

    sid: str
    status: str
    segments: int
    error_code: int | None = None
    #: When the provider sent it (or took it, when not sent yet).
    sent_at: datetime | None = None


@dataclass(frozen=True)
class LookupResult:
    """The provider's texts that match a lost send, best first; empty when it never took it."""

    matches: list[ProviderMessage] = field(default_factory=list)


class Gateway(Protocol):
    def send(self, to: str, body: str, validity_seconds: int | None = None) -> SendResult: ...

    def lookup(self, message: SentText) -> LookupResult: ...


class ConsoleGateway:
    """Sends nothing: logs the text. The default for development and the demo."""

    def send(self, to: str, body: str, validity_seconds: int | None = None) -> SendResult:
        log.info("SMS (console, not sent) to %s: %s", to, body)
        return SendResult(provider_sid=f"console-{uuid.uuid4().hex}", segments=count_segments(body))

    def lookup(self, message: SentText) -> LookupResult:
        # The console keeps no record: a console text whose outcome was lost was never
        # delivered to anyone, so it is simply "not sent" and may be logged again.
        return LookupResult()


def gateway_for(settings: Settings) -> Gateway:
    """The gateway the app's configuration names; refuses an incomplete Twilio setup."""
    backend = settings.sms_backend
    if backend == "console":
        return ConsoleGateway()
    if backend == "twilio":
        from havehus.messaging.twilio_gateway import TwilioGateway

        return TwilioGateway(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from,
            status_callback=settings.public_link("/sms/status"),
            api_base=settings.twilio_api_base,
            timeout=float(settings.twilio_timeout),
            messaging_service_sid=settings.twilio_messaging_service_sid,
        )
    raise ConfigError(f"HAVEHUS_SMS_BACKEND={backend!r} is not one of: console, twilio")
