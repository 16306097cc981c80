"""GET /healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import build_app


def test_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_unavailable_when_the_database_does_not_answer(tmp_path: Path):
    app = build_app(f"sqlite:///{tmp_path / 'missing-folder' / 'havehus.db'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
