"""Too many API requests in a minute get 429; tokens have their own, higher limit."""

from __future__ import annotations

from havehus.config import change_settings
from havehus.extensions import db
from havehus.people.audit import CLI
from havehus.people.credentials import create_api_token
from havehus.ratelimit import FixedWindowLimiter
from tests.conftest import DEFAULT_NOW


def test_the_window_counts_and_resets():
    now = [1000.0]
    window = FixedWindowLimiter(clock=lambda: now[0])
    assert [window.hit("a", 2) for _ in range(3)][-1] is not None
    assert window.hit("b", 2) is None  # another key has its own count
    now[0] += 60
    assert window.hit("a", 2) is None


def test_public_callers_and_tokens_are_limited_separately(app, client):
    change_settings(app, api_public_requests_per_minute=3)
    change_settings(app, api_token_requests_per_minute=5)
    _token, raw = create_api_token(db.session, "Partner", "partner", DEFAULT_NOW, CLI)
    db.session.commit()
    url = "/api/v1/openapi.json"
    public = [client.get(url).status_code for _ in range(4)]
    assert public == [200, 200, 200, 429]
    refused = client.get(url)
    assert refused.get_json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0
    headers = {"Authorization": f"Bearer {raw}"}
    with_token = [client.get(url, headers=headers).status_code for _ in range(6)]
    assert with_token == [200] * 5 + [429]
