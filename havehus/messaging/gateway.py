"""Where texts go: the console backend logs them (and they stay in the outbox table)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from havehus.config import ConfigError
from havehus.messaging.segments import count_segments

log = logging.getLogger("havehus.messaging")


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    segments: int


class Gateway(Protocol):
    def send(self, to: str, body: str) -> SendResult: ...


class ConsoleGateway:
    """Sends nothing: logs the text. The default for development and the demo."""

    def send(self, to: str, body: str) -> SendResult:
        log.info("SMS (console, not sent) to %s: %s", to, body)
        return SendResult(provider_sid=f"console-{uuid.uuid4().hex}", segments=count_segments(body))


def gateway_for(backend: str) -> Gateway:
    if backend == "console":
        return ConsoleGateway()
    raise ConfigError(
        f"HAVEHUS_SMS_BACKEND={backend!r} is not available in this version of havehus; "
        "use 'console' (texts are logged and kept in the database)."
    )
