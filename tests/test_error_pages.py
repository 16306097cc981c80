"""Error pages are in the site's style and the visitor's language."""

from __future__ import annotations

import pytest

from tests.conftest import build_app


@pytest.fixture
def failing_client(sqlite_url):
    app = build_app(sqlite_url)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    return app.test_client()


def test_not_found_page_in_danish_and_english(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Siden findes ikke" in page and 'href="/"' in page
    assert "Page not found" in client.get("/no/such/page?lang=en").get_data(as_text=True)


def test_server_error_page_hides_the_details(failing_client):
    response = failing_client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Det er vores fejl, ikke din." in page
    assert "kaboom" not in page and "Traceback" not in page
