"""/health: for load balancers, outside the sign-in wall, 200 when the database answers, 503 when not."""

from __future__ import annotations

from typing import Any

import pytest

from app import create_app
from data.db import get_db


@pytest.fixture
def empty_app(app_config: dict[str, Any]):
    """Build the app on a fresh, migrated database that holds no rows at all."""
    flask_app = create_app(app_config)
    yield flask_app
    get_db(flask_app).dispose()


def test_health_answers_ok_without_sign_in_and_without_data(empty_app):
    response = empty_app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_answers_head_and_needs_no_csrf_token(empty_app):
    client = empty_app.test_client()
    assert client.head("/health").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite:////nonexistent-dir/kundeportal/health.db", id="sqlite-missing-dir"),
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2", id="postgresql-refused"),
    ],
)
def test_health_answers_503_when_the_database_is_unreachable(app_config: dict[str, Any], url: str):
    config = dict(app_config, DATABASE_URL=url)
    flask_app = create_app(config)
    try:
        response = flask_app.test_client().get("/health")
    finally:
        get_db(flask_app).dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body == {"status": "fejl"}
    # The answer names no host, driver or error text.
    assert b"127.0.0.1" not in response.data and b"Error" not in response.data


def test_health_recovers_when_the_database_answers_again(empty_app, monkeypatch: pytest.MonkeyPatch):
    db = get_db(empty_app)
    client = empty_app.test_client()

    def refuse(*_args, **_kwargs):
        raise OSError("database down")

    db.engine.dispose()
    monkeypatch.setattr(db.engine, "connect", refuse, raising=False)
    monkeypatch.setattr(db.engine.pool, "connect", refuse, raising=False)
    assert client.get("/health").status_code == 503
    monkeypatch.undo()
    assert client.get("/health").status_code == 200


def test_health_probe_gets_no_cookies(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
