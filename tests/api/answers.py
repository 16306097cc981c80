"""What the API's refusals look like, for the tests of strict request bodies."""

from __future__ import annotations

from typing import Any

#: Messages in the source language, so a test reads the words it checks.
ENGLISH = {"Accept-Language": "en"}


def nested(depth: int) -> str:
    """JSON lists inside lists, `depth` deep."""
    return "[" * depth + "]" * depth


def refused(response: Any, field: str) -> str:
    """The one message for `field`, after checking the answer is a 422 invalid about it alone."""
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {field}
    return body["fields"][field]
