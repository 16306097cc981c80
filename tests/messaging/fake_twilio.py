"""A fake Twilio Messages API on a local port, for the real SDK to talk to in tests."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from datetime import date, datetime
from email.utils import format_datetime

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import DEFAULT_NOW

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM = "+4570700000"

#: Twilio's answers to the errors the gateway tells apart (status, code, message).
ERRORS = {
    "21211": (400, 21211, "The 'To' number is not a valid phone number."),
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
}


#: Errors Twilio gives again for every text to the number: it stays invalid or unsubscribed.
STICKY = ("21211", "21610")


class FakeTwilio:
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json; `script` injects failures.

    Also the Messages list (GET …/Messages.json with To, From and DateSent filters) and fetch
    (GET …/Messages/<sid>.json) over the texts it took. `plans` scripts answers per number;
    `hold` keeps the answer to a number's request back until released (a worker killed after
    its request left); `clock` is the fake's "now" (tests act at fixed instants).
    """

    def __init__(self, server: HTTPServer, *, slow_seconds: float = 2.0) -> None:
        self.server = server
        self.slow_seconds = slow_seconds
        #: What the next requests get, in order: "ok", "timeout" or a key of ERRORS.
        self.script: list[str] = []
        self.requests: list[dict[str, str]] = []
        #: Set when a slow answer is finally given: the server answers one request at a time.
        self.slow_done = threading.Event()
        self._sids = itertools.count(1)
        #: Per number, what its next requests get (used when `script` is empty); an error in
        #: STICKY stays, as Twilio refuses that number every time.
        self.plans: dict[str, list[str]] = {}
        #: Numbers whose answer is held back: `arrived[n]` is set when the request came,
        #: the answer is given once `hold[n]` is set.
        self.hold: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}
        #: The texts Twilio took (its message resources), oldest first.
        self.messages: list[dict[str, object]] = []
        self.clock: datetime | None = None
        self._lock = threading.Lock()
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        server.expect_request(path, method="POST").respond_with_handler(self._create)
        server.expect_request(path, method="GET").respond_with_handler(self._list)
        one = re.compile(rf"^/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/(SM[0-9a-f]{{32}})\.json$")
        server.expect_request(one, method="GET").respond_with_handler(self._fetch)

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def texts_to(self, phone: str) -> int:
        """How many texts Twilio took for this number (what its phone would receive)."""
        return sum(1 for m in self.messages if m["to"] == phone)

    def requests_to(self, phone: str) -> int:
        return sum(1 for r in self.requests if r.get("To") == phone)

    def _now(self) -> datetime:
        return self.clock or DEFAULT_NOW

    def _next_outcome(self, to: str) -> str:
        with self._lock:
            if self.script:
                return self.script.pop(0)
            plan = self.plans.get(to) or []
            if not plan:
                return "ok"
            return plan[0] if plan[0] in STICKY else plan.pop(0)

    def _resource(self, form: dict[str, str]) -> dict[str, object]:
        """The message resource Twilio keeps for a text it took."""
        from havehus.messaging.segments import count_segments

        sid = f"SM{next(self._sids):032x}"
        stamp = format_datetime(self._now(), usegmt=True)
        body = form.get("Body", "")
        return {
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": stamp,
            "date_sent": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(count_segments(body)),
            "price": "-0.05250",
            "price_unit": "USD",
            "sid": sid,
            "status": "sent",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }

    def _list(self, request: Request) -> Response:
        """GET Messages.json: newest first, filtered as Twilio does (DateSent by UTC date)."""
        args = request.args
        after = args.get("DateSent>") or args.get("DateSent>=")
        before = args.get("DateSent<") or args.get("DateSent<=")
        on = args.get("DateSent")

        def day(value: str) -> date:
            return date.fromisoformat(value[:10])

        def sent_on(message: dict[str, object]) -> date:
            from email.utils import parsedate_to_datetime

            return parsedate_to_datetime(str(message["date_sent"])).date()

        with self._lock:
            found = [
                m
                for m in reversed(self.messages)
                if (not args.get("To") or m["to"] == args["To"])
                and (not args.get("From") or m["from"] == args["From"])
                and (not after or sent_on(m) >= day(after))
                and (not before or sent_on(m) <= day(before))
                and (not on or sent_on(m) == day(on))
            ]
        size = int(args.get("PageSize", 50))
        uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?PageSize={size}&Page=0"
        return self._json(
            {
                "end": max(0, min(size, len(found)) - 1),
                "first_page_uri": uri,
                "messages": found[:size],
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            },
            200,
        )

    def _fetch(self, request: Request) -> Response:
        sid = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        with self._lock:
            found = next((m for m in self.messages if m["sid"] == sid), None)
        if found is None:
            return self._json(
                {
                    "code": 20404,
                    "message": f"The requested resource /Messages/{sid}.json was not found",
                    "more_info": "https://www.twilio.com/docs/errors/20404",
                    "status": 404,
                },
                404,
            )
        return self._json(found, 200)

    def _create(self, request: Request) -> Response:
        form = request.form.to_dict()
        to = form.get("To", "")
        with self._lock:
            self.requests.append(
                {**form, "Authorization": request.headers.get("Authorization", "")}
            )
        outcome = self._next_outcome(to)
        if outcome in ("ok", "timeout"):
            # Twilio takes the text before it answers: a late or lost answer changes nothing.
            resource = self._resource(form)
            with self._lock:
                self.messages.append(resource)
        if to in self.hold:
            self.arrived.setdefault(to, threading.Event()).set()
            self.hold[to].wait(60)
        if outcome == "timeout":
            time.sleep(self.slow_seconds)
            outcome = "ok"
            self.slow_done.set()
        if outcome in ERRORS:
            status, code, message = ERRORS[outcome]
            return self._json(
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
                status,
            )
        # Twilio answers with the text just queued; it is "sent" in the list a moment later.
        return self._json({**resource, "status": "queued", "date_sent": None}, 201)

    @staticmethod
    def _json(payload: dict[str, object], status: int) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json")


# ---------------------------------------------------------------- webhooks Twilio posts to us
#: The webhook URLs Twilio is given start with the app's public URL (config/test.toml).
PUBLIC_URL = "http://havehus.test"
_inbound_sids = itertools.count(1)


def twilio_signature(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1 of the URL and the sorted form."""
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(auth_token).compute_signature(url, params))


def post_signed(
    client,  # a Flask test client
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    auth_token: str = AUTH_TOKEN,
    base_url: str | None = None,
):
    """POST a form to the app the way Twilio does, signed over `signed_url` (default: the
    public URL + path). `base_url` is where the request arrives (its Host), e.g. a proxy's."""
    url = signed_url or PUBLIC_URL + path
    headers = {
        "X-Twilio-Signature": twilio_signature(url, params, auth_token),
        "User-Agent": "TwilioProxy/1.1",
    }
    extra = {"base_url": base_url} if base_url else {}
    return client.post(path, data=params, headers=headers, **extra)


def inbound_params(
    from_: str, body: str, sid: str | None = None, *, to: str = FROM
) -> dict[str, str]:
    """The form of an incoming SMS, with the fields Twilio sends."""
    sid = sid or f"SM{'f' * 16}{next(_inbound_sids):016x}"  # apart from the sent texts' SIDs
    return {
        "ToCountry": "DK",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "DK",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


def status_params(
    sid: str, status: str, error_code: int | None = None, *, to: str = "+4520990001"
) -> dict[str, str]:
    """The form of a status callback for one of our texts."""
    params = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": FROM,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


def post_inbound(client, from_: str, body: str, sid: str | None = None, **kwargs):
    """Twilio forwarding a text someone sent to our number."""
    return post_signed(client, "/sms/inbound", inbound_params(from_, body, sid), **kwargs)


def post_status(client, sid: str, status: str, error_code: int | None = None, **kwargs):
    """Twilio reporting what became of one of our texts."""
    return post_signed(client, "/sms/status", status_params(sid, status, error_code), **kwargs)
