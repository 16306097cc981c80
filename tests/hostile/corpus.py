"""What a hostile visitor types: the values the sweep sends in every place a route reads input.

Each value is a plain text as it arrives in a path, a query string or a form field; the JSON
values are what an API client may put in a field of a body, and the raw bodies are what may
stand in for the whole body.
"""

from __future__ import annotations

from typing import Any

INT32_MAX = 2**31 - 1

#: Texts that stand out when a page shows them unescaped (the reflection check looks for them).
MARKUP = (
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)' x='",
    "</textarea><img src=x onerror=alert(1)>",
)

#: Texts for every place that takes a text: path, query string, form field.
TEXTS: tuple[str, ...] = (
    # numbers no integer column holds, and numbers that are not numbers
    str(INT32_MAX + 1),
    str(2**63),
    "1" + "0" * 30,
    "-" + str(2**63),
    "inf",
    "nan",
    "1e309",
    # days and weeks outside the calendar
    "9999-12-31",
    "0001-01-01",
    "9999-W52",
    "0001-W01",
    "2026-02-30",
    # control characters: NUL, line breaks (calendar lines), an escape sequence
    "a\x00b",
    "line\r\nX-INJECTED:1",
    "bare\rBEGIN:VEVENT",
    "bell\x07\x1b[31m\x85",
    # text that turns around, and very long text
    "\u202egnp.exe\u200f",
    "x" * 10_000,
    # breaking out of markup and addresses
    *MARKUP,
    "../../etc/passwd",
    "",
)

#: One value of each kind, for places where the values of a kind are all alike to the app (a
#: choice among fixed values) or where each answer is slow to make (the printable poster).
SAMPLE: tuple[str, ...] = (
    str(INT32_MAX + 1),
    str(2**63),
    "9999-12-31",
    "a\x00b",
    "line\r\nX-INJECTED:1",
    "\u202egnp.exe\u200f",
    "x" * 10_000,
    MARKUP[0],
)
assert set(SAMPLE) <= set(TEXTS)

#: Bytes that are not UTF-8, as sent in a query string or a form body (percent-encoded).
INVALID_UTF8 = b"\xff\xfe\xc3("

#: Values that pass a path's <int:...> converter: each is a number the database cannot hold.
PATH_INTEGERS: tuple[str, ...] = (
    "0",
    str(INT32_MAX),
    str(INT32_MAX + 1),
    str(2**63),
    "1" + "0" * 30,
)


def nested(depth: int) -> str:
    """JSON lists inside lists, `depth` deep."""
    return "[" * depth + "]" * depth


#: Values for one field of a JSON body.
JSON_VALUES: tuple[Any, ...] = (
    INT32_MAX + 1,
    -(2**31) - 1,
    2**63,
    10**30,
    1e308,
    -0.0,
    True,
    None,
    [],
    {},
    "",
    "a\x00b",
    "line\r\nX-INJECTED:1",
    "bare\rBEGIN:VEVENT",
    "\u202egnp.exe",
    "x" * 10_000,
    MARKUP[0],
    "9999-12-31",
    "0001-01-01",
    {"da": "a\x00b"},
    {"da": "line\r\nX-INJECTED:1"},
    {"da": "x" * 10_000},
    ["a\x00b"],
    [INT32_MAX + 1],
)

#: Whole bodies sent as application/json.
JSON_BODIES: tuple[bytes, ...] = (
    nested(100_000).encode(),
    b'{"a": ' + nested(5_000).encode() + b"}",
    b"\xff\xfe{}",
    b'{"title": "\xff"}',
    b"1" * 5_000,
    b"[]",
    b"null",
    b'"\\u0000"',
    b'{"a": NaN, "b": Infinity}',
    b"{" * 10_000,
)
