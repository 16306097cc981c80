"""The Twilio backend: the real SDK, optionally pointed at another base URL (tests, staging)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from havehus.config import ConfigError
from havehus.messaging.gateway import (
    LookupFailedError,
    LookupResult,
    PermanentSendError,
    ProviderMessage,
    SendResult,
    SentText,
    TransientSendError,
    UnknownOutcomeError,
)
from havehus.messaging.segments import count_segments

#: Twilio accepts a validity period of 1 to 36,000 seconds.
MAX_VALIDITY_SECONDS = 36000
#: Error codes that mean this number will never take the text: invalid, unsubscribed.
PERMANENT_CODES = (21211, 21610)
#: Twilio filters the Messages list by the UTC date sent: look from the day before the attempt,
#: so an attempt just after midnight, or a small clock difference, still finds its text.
LOOKUP_SLACK = timedelta(days=1)
#: At most this many of the recipient's texts since the attempt are read when looking one up.
LOOKUP_LIMIT = 200


def _quiet_logger() -> logging.Logger:
    """The SDK logs every request's headers at INFO; only its warnings are worth a line."""
    logger = logging.getLogger("havehus.messaging.twilio_http")
    logger.setLevel(logging.WARNING)
    return logger


def _read_environment_once(http_client: TwilioHttpClient, base: str) -> None:
    """Read proxy and CA settings from the environment now, not on every request.

    requests looks them up for each request (a scan of the whole environment, a fifth of a
    send's cost); the host never changes, so the answer does not either.
    """
    session = http_client.session
    if session is None:
        return
    session.proxies.update(requests.utils.get_environ_proxies(base))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


class RebasedHttpClient(TwilioHttpClient):
    """Sends every request to `base` (scheme and host) instead of api.twilio.com."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_quiet_logger())
        self.base = urlsplit(base)

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().request(method, rebased, *args, **kwargs)


class TwilioGateway:
    """Sends through Twilio's Messages API, classifying failures as transient or permanent."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        *,
        status_callback: str,
        api_base: str = "",
        timeout: float = 10.0,
        messaging_service_sid: str = "",
    ) -> None:
        if not (account_sid and auth_token and (from_ or messaging_service_sid)):
            raise ConfigError(
                "HAVEHUS_SMS_BACKEND=twilio needs HAVEHUS_TWILIO_ACCOUNT_SID, "
                "HAVEHUS_TWILIO_AUTH_TOKEN and HAVEHUS_TWILIO_FROM (or "
                "HAVEHUS_TWILIO_MESSAGING_SERVICE_SID)."
            )
        http_client = (
            RebasedHttpClient(api_base, timeout)
            if api_base
            else TwilioHttpClient(timeout=timeout, logger=_quiet_logger())
        )
        _read_environment_once(http_client, api_base or "https://api.twilio.com")
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_ = from_
        #: With a Messaging Service, Twilio picks the sender from the service's pool.
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    def _sender(self) -> dict[str, str]:
        sender = {"from_": self.from_} if self.from_ else {}
        if self.messaging_service_sid:
            sender["messaging_service_sid"] = self.messaging_service_sid
        return sender

    def send(self, to: str, body: str, validity_seconds: int | None = None) -> SendResult:
        extra: dict[str, object] = {}
        if validity_seconds is not None:
            extra["validity_period"] = max(1, min(MAX_VALIDITY_SECONDS, validity_seconds))
        try:
            message = self.client.messages.create(
                to=to,
                body=body,
                status_callback=self.status_callback,
                **self._sender(),
                **extra,
            )
        except TwilioRestException as exc:
            if exc.code in PERMANENT_CODES:
                raise PermanentSendError(f"Twilio error {exc.code}", code=exc.code) from None
            if exc.status == 429 or exc.status >= 500:
                raise TransientSendError(f"Twilio answered HTTP {exc.status}") from None
            raise PermanentSendError(
                f"Twilio error {exc.code} (HTTP {exc.status})", exc.code
            ) from None
        except requests.ReadTimeout:
            # The request went out; Twilio may have queued the text. Twilio has no idempotency
            # key, so a retry could text twice: the outcome is unknown, never resent blindly.
            raise UnknownOutcomeError("Twilio did not answer in time") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            # Refused connections and connect timeouts: the request never reached Twilio.
            raise TransientSendError(f"Twilio unreachable: {type(exc).__name__}") from None
        segments = int(message.num_segments) if message.num_segments else count_segments(body)
        return SendResult(provider_sid=str(message.sid), segments=segments)

    def lookup(self, message: SentText) -> LookupResult:
        """Find the text at Twilio: by its SID when we have one, else by recipient, time, body."""
        try:
            if message.provider_sid:
                try:
                    found = [self.client.messages(message.provider_sid).fetch()]
                except TwilioRestException as exc:
                    if exc.status != 404:
                        raise
                    found = []
            else:
                sender = {"from_": self.from_} if self.from_ else {}
                found = self.client.messages.list(
                    to=message.to,
                    **sender,
                    date_sent_after=message.since - LOOKUP_SLACK,
                    limit=LOOKUP_LIMIT,
                )
        except TwilioRestException as exc:
            raise LookupFailedError(f"Twilio answered HTTP {exc.status}") from None
        except TwilioException as exc:  # e.g. a list page that is not Twilio's JSON
            raise LookupFailedError(f"Twilio's answer was unusable: {exc}") from None
        except requests.RequestException as exc:
            raise LookupFailedError(f"Twilio unreachable: {type(exc).__name__}") from None
        matches = [
            ProviderMessage(
                sid=str(item.sid),
                status=str(item.status),
                segments=int(item.num_segments) if item.num_segments else count_segments(item.body),
                error_code=int(item.error_code) if item.error_code else None,
                sent_at=item.date_sent or item.date_created,
            )
            for item in found
            if item.body == message.body and item.to == message.to
        ]
        return LookupResult(matches=matches)
