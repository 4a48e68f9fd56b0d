"""Prometheus metrics on their own protected endpoint (issue 16, item 7)."""

from __future__ import annotations

from sqlalchemy import delete

from circle import create_app
from circle.extensions import db
from circle.mail.send import send_mail
from circle.models import OutboxMail

TOKEN = "scrape-secret-0123456789"


def test_without_a_token_setting_there_is_no_metrics_endpoint(client):
    assert client.get("/metrics").status_code == 404


def test_the_scrape_needs_the_token_and_counts_requests_queue_and_outbox(tmp_path, database_url):
    app = create_app(
        {
            "CIRCLE_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "METRICS_TOKEN": TOKEN,
            "SERVER_NAME": "circle.test",
            "BASE_URL": "http://circle.test",
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/login")
    with app.test_request_context():
        send_mail("petra@example.org", "Betreff", "Hallo")
        db.session.commit()
        try:
            scrape = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            text = scrape.get_data(as_text=True)
        finally:  # this app commits for real: leave no mail behind, and no connection
            db.session.execute(delete(OutboxMail))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    assert scrape.status_code == 200
    assert 'circle_http_requests_total{endpoint="auth.login",method="GET",status="200"}' in text
    assert 'circle_http_request_seconds_count{endpoint="auth.login"}' in text
    assert "circle_queue_depth " in text
    assert "circle_mail_waiting 1.0" in text and "circle_mail_failed 0.0" in text
