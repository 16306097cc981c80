"""The hostile-input sweep: every route of the URL map × every hostile value in every place the
route reads input, and what no answer may ever be.

The routes come from `app.url_map`. A route's places are found, not listed: its path
parameters (filled by converter), the query parameters its view actually reads (recorded
while the page is first fetched), the fields of the form the app itself renders for it (sent
with a valid CSRF token, every other field keeping the value the page gave it, so the request
reaches the view and its service), and for API routes the fields of its request body as
/api/v1/openapi.json describes them.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, Request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from havehus.config import settings_of
from tests.hostile.corpus import (
    INVALID_UTF8,
    JSON_BODIES,
    JSON_VALUES,
    MARKUP,
    PATH_INTEGERS,
    SAMPLE,
    TEXTS,
)
from tests.staff_fixtures import PASSWORD

#: Answers that take long to make (WeasyPrint lays out a PDF in a tenth of a second or more):
#: their routes are swept with one value of each kind (SAMPLE).
SLOW_DOCUMENTS = ("application/pdf",)
#: Methods a route is swept with (HEAD and OPTIONS are Werkzeug's own).
METHODS = ("GET", "POST", "PATCH", "DELETE")
#: A raw control character in a calendar line (tab is allowed; CR LF end lines, never in one).
_ICS_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: Twilio's webhook secret in the sweep's app, so webhook requests are signed and read.
TWILIO_TOKEN = "sweep-twilio-token"
TWILIO_FIELDS = ("From", "To", "Body", "MessageSid", "MessageStatus", "ErrorCode", "AccountSid")


# ---------------------------------------------------------------- what the views read


class _ReadArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query parameters that note each name a view asks for."""

    sink: set[str] = set()

    def __getitem__(self, key: Any) -> Any:
        self.sink.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        self.sink.add(key)
        return super().get(key, default, type)

    def getlist(self, key: Any, type: Any = None) -> Any:  # noqa: A002
        self.sink.add(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.sink.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    """The app's request class during the sweep: query parameters remember what was read."""

    parameter_storage_class = _ReadArgs

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # The form is not recorded: its fields come from the page that renders it.
        form = self.__dict__.get("form")
        if isinstance(form, _ReadArgs):
            self.__dict__["form"] = ImmutableMultiDict(form.items(multi=True))


# ---------------------------------------------------------------- routes and places


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    endpoint: str
    #: Path parameter → "int" or "text", by its converter.
    params: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")

    @property
    def is_webhook(self) -> bool:
        return self.endpoint.startswith("sms.")


def routes(app: Flask) -> list[Route]:
    """Every route of the URL map but static files, one per method."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        params = _params(rule)
        for method in METHODS:
            if method in (rule.methods or ()):
                found.append(Route(method, rule.rule, rule.endpoint, params))
    return sorted(found, key=lambda route: (route.method != "GET", route.rule))


def _params(rule: Rule) -> dict[str, str]:
    converters = rule._converters  # noqa: SLF001  (Werkzeug keeps them per parameter here)
    return {
        name: "int" if isinstance(converter, IntegerConverter) else "text"
        for name, converter in converters.items()
    }


#: Path parameters named "token" are different secrets under different prefixes.
_TOKENS = {
    "/bookings/": "booking",
    "/me/": "personal_feed",
    "/feeds/": "partner_feed",
    "/staff/invite/": "invite",
}


#: Path parameter → its real values in the seeded world, the usual one first.
World = dict[str, tuple[str, ...]]


def candidates(route: Route, name: str, world: World) -> tuple[str, ...]:
    """The world's real values for a path parameter."""
    if name == "token":
        prefix = next((p for p in _TOKENS if route.rule.startswith(p)), None)
        key = _TOKENS.get(prefix or "", "")
    else:
        key = name
    assert key in world, f"tests/hostile/world.py has no value for <{name}> of {route.rule}"
    return world[key]


def real_paths(route: Route, world: World) -> list[dict[str, str]]:
    """Every way to fill the route's path parameters with real values, the usual one first."""
    names = list(route.params)
    options = itertools.product(*(candidates(route, name, world) for name in names))
    return [dict(zip(names, values, strict=True)) for values in options]


def fill(
    route: Route,
    real: dict[str, str],
    *,
    encoded: dict[str, str] | None = None,
    **hostile: str,
) -> str:
    """The route's path with real values, `hostile` ones (percent-encoded here) where given,
    and `encoded` ones (already percent-encoded, e.g. bytes that are not UTF-8) as they are."""
    path = route.rule
    for name in route.params:
        if encoded and name in encoded:
            value = encoded[name]
        else:
            value = quote(hostile[name] if name in hostile else real[name], safe="")
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


# ---------------------------------------------------------------- the checks


@dataclass
class Findings:
    """What went wrong, by route, and how much the sweep did."""

    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0
    seconds_by_route: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _places: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, route: Route, what: str, place: str) -> None:
        """Note a problem: the first of each place (a parameter, a field) of each route."""
        if place not in self._places[route.key]:
            self._places[route.key].add(place)
            self.problems[route.key].append(what)

    def report(self) -> str:
        lines = []
        for key, problems in sorted(self.problems.items()):
            lines.append(key)
            lines += [f"    {problem}" for problem in problems]
        return "\n".join(lines)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:60] + f"…({len(text)} chars)"


def check(route: Route, sent: str, response: TestResponse, findings: Findings) -> None:
    """No server error, nothing reflected unescaped, no raw control character in a feed."""
    findings.requests += 1
    place = sent.split("=", 1)[0]
    status = response.status_code
    if status >= 500:
        findings.add(route, f"{status} for {sent}", f"{status} {place}")
        return
    location = response.headers.get("Location", "")
    if any(c in location for c in "\r\n\x00"):
        findings.add(route, f"a control character in Location for {sent}", f"Location {place}")
    mimetype = response.mimetype or ""
    if mimetype == "text/html":
        body = response.get_data(as_text=True)
        for markup in MARKUP:
            if markup in body:
                findings.add(route, f"{markup!r} unescaped for {sent}", f"markup {markup}")
    elif mimetype == "text/calendar" and status == 200:
        body = response.get_data(as_text=True)
        for number, line in enumerate(body.split("\r\n"), 1):
            if _ICS_CONTROL.search(line) or line.startswith("X-INJECTED"):
                findings.add(route, f"feed line {number} {_show(line)} for {sent}", "feed")
                break


# ---------------------------------------------------------------- the app's own forms

#: What a browser's autofill (or a patient visitor) puts in an empty field, by its input type,
#: so that a form is complete and one hostile field at a time reaches the view's service.
FILL = {
    "email": "gaest@havehus.example",
    "password": PASSWORD,
    "tel": "+4520123456",
    "date": "2026-12-10",
    "time": "14:00",
    "number": "5",
    "text": "Fejende gæst",
    "search": "Fejende gæst",
    "textarea": "Fejende gæst",
}


@dataclass
class PageForm:
    action: str
    method: str
    #: The fields a browser sends, in order, with the page's values (empty ones filled in).
    fields: MultiDict[str, str] = field(default_factory=MultiDict)
    #: The fields that choose among fixed values (select, radio button, checkbox).
    choices: set[str] = field(default_factory=set)


class _Forms(HTMLParser):
    """The forms of a page with the fields a browser sends (no JavaScript), filled in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._select: tuple[str, str | None] | None = None  # name, first option's value

    def _add(self, name: str, value: str, kind: str) -> None:
        self.forms[-1].fields.add(name, value or FILL.get(kind, ""))
        if kind in ("select", "radio", "checkbox"):
            self.forms[-1].choices.add(name)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(PageForm(a.get("action", ""), a.get("method", "get").upper()))
        elif not self.forms or "disabled" in a:
            return
        elif tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                self.forms[-1].choices.add(a["name"])
                if "checked" in a:
                    self._add(a["name"], a.get("value", "on"), kind)
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._add(a["name"], a.get("value", ""), kind)
        elif tag == "textarea" and "name" in a:
            self._add(a["name"], "", "textarea")
        elif tag == "select" and "name" in a:
            self._select = (a["name"], None)
        elif tag == "option" and self._select is not None:
            name, first = self._select
            value = a.get("value", "")
            if "selected" in a:
                self._add(name, value, "select")
                self._select = (name, "")  # chosen: no fallback needed
            elif first is None:
                self._select = (name, value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, first = self._select
            if first:  # nothing selected: a browser sends the first option
                self._add(name, first, "select")
            self._select = None


def page_forms(html: str) -> list[PageForm]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


# ---------------------------------------------------------------- a visitor


@dataclass
class Visitor:
    """One signed-in (or anonymous) client and what it learned about the app's pages."""

    app: Flask
    client: Any
    world: World
    #: Headers for API requests (a bearer token of the visitor's role), if any.
    api_headers: dict[str, str]
    csrf: str = ""
    #: (METHOD, path) → the fields a page's form sends there, with the page's values.
    forms: dict[tuple[str, str], MultiDict[str, str]] = field(default_factory=dict)
    #: (METHOD, path) → the page that renders that form.
    form_pages: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (METHOD, path) → the fields of that form that choose among fixed values.
    choices: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: Routes whose answer takes long to make (the poster): they get one value of each kind.
    slow: set[str] = field(default_factory=set)
    #: route key → the query parameters its view read.
    reads: dict[str, set[str]] = field(default_factory=dict)
    #: route key → the real path parameters it is swept with.
    real: dict[str, dict[str, str]] = field(default_factory=dict)

    def path(self, route: Route) -> str:
        """The route's path as it is swept: real values its page (or form) exists for."""
        return fill(route, self.real.get(route.key) or real_paths(route, self.world)[0])

    def open(self, route: Route, path: str, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if route.is_api:
            headers.update(self.api_headers)
        return self.client.open(path, method=route.method, headers=headers, **kwargs)


def learn(visitor: Visitor, all_routes: list[Route]) -> None:
    """Fetch each page once with each of the world's values for its path: which query
    parameters it reads, which forms it renders. A page is then swept with the first values
    it answers 200 for, a form's target with the values a page renders that form for."""
    for route in all_routes:
        if route.method != "GET":
            continue
        for real in real_paths(route, visitor.world):
            path = fill(route, real)
            _ReadArgs.sink = set()
            response = visitor.open(route, path)
            visitor.reads.setdefault(route.key, set()).update(_ReadArgs.sink)
            if response.status_code == 200 and route.key not in visitor.real:
                visitor.real[route.key] = real
                if response.mimetype in SLOW_DOCUMENTS:
                    visitor.slow.add(route.key)
            _learn_forms(visitor, path, response)
        visitor.real.setdefault(route.key, real_paths(route, visitor.world)[0])
    for route in all_routes:
        if route.method != "GET":
            reals = real_paths(route, visitor.world)
            with_form = [r for r in reals if (route.method, fill(route, r)) in visitor.forms]
            visitor.real[route.key] = (with_form or reals)[0]


def _learn_forms(visitor: Visitor, page: str, response: TestResponse) -> None:
    if response.mimetype != "text/html":
        return
    for form in page_forms(response.get_data(as_text=True)):
        target = (form.method, urlsplit(form.action or page).path)
        fields = form.fields
        if "csrf_token" in fields and not visitor.csrf:
            visitor.csrf = fields["csrf_token"]
        known = visitor.forms.get(target)
        if known is None or len(fields) >= len(known):
            visitor.forms[target] = fields
            visitor.form_pages[target] = page
            visitor.choices[target] = form.choices


def refresh_form(visitor: Visitor, route: Route, path: str) -> None:
    """After a form was accepted, read it again from its page: a version it carries moved on,
    and every later attempt would otherwise stop at "changed by someone else"."""
    page = visitor.form_pages.get((route.method, path))
    if page is not None:
        _learn_forms(visitor, page, visitor.client.get(page))


# ---------------------------------------------------------------- the requests


@dataclass(frozen=True)
class Attempt:
    """One request: where it goes, what it carries, and a line saying which value where."""

    path: str
    sent: str
    query: str = ""
    #: A form body (the CSRF token is added when sent) and raw bytes appended to it.
    form: MultiDict[str, str] | None = None
    raw_field: str = ""
    body: bytes | None = None


def _in_another_language(visitor: Visitor, name: str) -> bool:
    """A field repeated per language (title_da, title_en…) beyond the first language: the
    same field again, so it gets one value of each kind and the first language all of them."""
    prefix, _sep, code = name.rpartition("_")
    languages = settings_of(visitor.app).languages
    return bool(prefix) and code in languages[1:]


def _query(name: str, value: str) -> str:
    return urlencode([(name, value)])


def _raw(name: str) -> str:
    """A field whose value is not UTF-8, as it appears in an encoded query or form."""
    return quote(name) + "=" + quote(INVALID_UTF8)


def attempts(visitor: Visitor, route: Route, openapi: dict[str, Any]) -> Iterator[Attempt]:
    """Every hostile value in every place this route reads input."""
    real = visitor.real[route.key]
    texts = SAMPLE if route.key in visitor.slow else TEXTS
    for name, kind in route.params.items():
        values = PATH_INTEGERS if kind == "int" else texts
        for value in values:
            yield Attempt(fill(route, real, **{name: value}), f"path {name}={_show(value)}")
        if kind == "text":
            raw = fill(route, real, encoded={name: quote(INVALID_UTF8)})
            yield Attempt(raw, f"path {name}=<not UTF-8>")
    path = fill(route, real)
    if route.method == "GET":
        for name in sorted(visitor.reads.get(route.key, ())):
            for value in texts:
                yield Attempt(path, f"?{name}={_show(value)}", query=_query(name, value))
            yield Attempt(path, f"?{name}=<not UTF-8>", query=_raw(name))
        return
    if route.is_api:
        yield from _json_attempts(route, path, openapi)
        return
    if route.is_webhook:
        signed = MultiDict(
            {"From": "+4520000001", "MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
        )
        for name in TWILIO_FIELDS:
            for value in TEXTS:
                form = signed.deepcopy()
                form.setlist(name, [value])
                yield Attempt(path, f"form {name}={_show(value)}", form=form)
        return
    target = (route.method, path)
    names = [name for name in visitor.forms.get(target, {}) if name != "csrf_token"]
    for name in names:
        alike = name in visitor.choices.get(target, ()) or _in_another_language(visitor, name)
        values = SAMPLE if alike else texts
        for value in (*values, None):
            # The page's values as they are now: an accepted attempt may have moved them on.
            form = visitor.forms[target].deepcopy()
            form.poplist(name)
            if value is None:
                yield Attempt(path, f"form {name}=<not UTF-8>", form=form, raw_field=_raw(name))
            else:
                form.setlist(name, [value])
                yield Attempt(path, f"form {name}={_show(value)}", form=form)
    for body in JSON_BODIES[:2]:
        yield Attempt(path, f"JSON body {_show(body)}", body=body)


def _schema(openapi: dict[str, Any], route: Route) -> dict[str, Any]:
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", route.rule)
    operation = openapi["paths"].get(path, {}).get(route.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _valid(spec: dict[str, Any]) -> Any:
    """A valid value for a property of a request schema (the sweep's base body)."""
    if "enum" in spec:
        return next(value for value in spec["enum"] if value is not None)
    kind = spec.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "integer":
        return max(spec.get("minimum", 1), min(60, spec.get("maximum", 60)))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {"da": "Fejende gæst"}
    if spec.get("format") == "date":
        return "2026-12-10"
    if "pattern" in spec and "d{2}" in spec["pattern"]:
        return "14:00"
    if "pattern" in spec:
        return "fejende-gaest"
    return "Fejende gæst"


def _json_attempts(route: Route, path: str, openapi: dict[str, Any]) -> Iterator[Attempt]:
    schema = _schema(openapi, route)
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:
        return
    base = {name: _valid(properties[name]) for name in schema.get("required", ())}
    for name in properties:
        for value in JSON_VALUES:
            body = json.dumps({**base, name: value}).encode()
            yield Attempt(path, f"JSON {name}={_show(value)}", body=body)
    for body in JSON_BODIES:
        yield Attempt(path, f"JSON body {_show(body)}", body=body)


def send(visitor: Visitor, route: Route, attempt: Attempt) -> TestResponse:
    headers: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    if attempt.query:
        kwargs["query_string"] = attempt.query
    if attempt.body is not None:
        kwargs["data"] = attempt.body
        kwargs["content_type"] = "application/json"
        if not route.is_api and visitor.csrf:
            headers["X-CSRFToken"] = visitor.csrf
    elif attempt.form is not None:
        form = attempt.form.deepcopy()
        if route.is_webhook:
            url = settings_of(visitor.app).public_url.rstrip("/") + attempt.path
            headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(
                url, form
            )
        else:
            form.setlist("csrf_token", [visitor.csrf])
        encoded = urlencode(list(form.items(multi=True)))
        if attempt.raw_field:
            encoded = f"{encoded}&{attempt.raw_field}" if encoded else attempt.raw_field
        kwargs["data"] = encoded.encode()
        kwargs["content_type"] = "application/x-www-form-urlencoded"
    return visitor.open(route, attempt.path, headers=headers, **kwargs)


#: Routes swept last, in this order: they end what the visitor's later requests rely on.
_LAST = ("staff.logout_everywhere", "staff.logout")


def _attack(visitor: Visitor, route: Route, openapi: dict[str, Any], findings: Findings) -> None:
    started = time.perf_counter()
    for attempt in attempts(visitor, route, openapi):
        response = send(visitor, route, attempt)
        check(route, attempt.sent, response, findings)
        if attempt.form is not None and response.status_code in (302, 303):
            refresh_form(visitor, route, attempt.path)
    findings.seconds_by_route[route.key] += time.perf_counter() - started


def sweep(visitor: Visitor, all_routes: list[Route], findings: Findings) -> None:
    """Send every attempt of every route and check each answer."""
    with visitor.app.app_context():
        openapi = visitor.app.test_client().get("/api/v1/openapi.json").get_json()
    for route in [r for r in all_routes if r.endpoint not in _LAST]:
        _attack(visitor, route, openapi, findings)
    # Then every page once more: what the accepted attempts stored must show harmlessly too.
    for route in all_routes:
        if route.method == "GET":
            response = visitor.open(route, visitor.path(route))
            check(route, "the page after the sweep", response, findings)
    for endpoint in _LAST:
        for route in [r for r in all_routes if r.endpoint == endpoint]:
            _attack(visitor, route, openapi, findings)
