"""Start-up configuration and the health check."""

import pytest

from circle import create_app, health
from circle.config import ConfigError
from circle.tasks.queue import make_huey


def test_healthz_answers_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {
            "CIRCLE_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "missing" / "x.sqlite3"),
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_readyz_answers_when_the_database_and_the_queue_do(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_readyz_names_an_unreachable_queue_and_database(tmp_path, monkeypatch):
    """A queue on a Redis nobody listens at, a database that cannot be opened: 503 with
    the parts that fail, and nothing of the error itself."""
    monkeypatch.setattr(health, "huey", make_huey("redis://127.0.0.1:1/0"))
    app = create_app(
        {
            "CIRCLE_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "missing" / "x.sqlite3"),
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unavailable",
        "queue": "unavailable",
    }


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"CIRCLE_ENV": "production"})


def test_production_uses_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("BASE_URL", "https://circle.example.org")
    app = create_app({"CIRCLE_ENV": "production"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="CIRCLE_ENV"):
        create_app({"CIRCLE_ENV": "staging"})


def test_database_url_from_the_environment_uses_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/circle")
    app = create_app({"CIRCLE_ENV": "test"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/circle"


def test_security_headers_on_every_page(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
