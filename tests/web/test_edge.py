"""What a request brings to the app's edge (issue 12, items 1, 3 and 5): the host it names,
the size of its body and the proxies in front of the app."""

from __future__ import annotations

import io
import re

import pytest
from flask import request
from flask_limiter.util import get_remote_address
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from circle import create_app
from circle.config import ConfigError
from circle.mail.send import external_url, site_host
from tests.apps import make_test_app
from tests.imports.support import fixture, run_jobs, world
from tests.pages import csrf_token, text

__all__ = ["world"]

LINK = re.compile(r"https?://[^/\s]+/password/reset/\S+")
MIB = 1024 * 1024


def reset_links(outbox) -> list[str]:
    """The reset links of every mail sent so far."""
    return [
        link for mail in outbox() for link in LINK.findall(mail.get_body(("plain",)).get_content())
    ]


# --- item 1: links from BASE_URL, other hosts refused ----------------------------------


def test_a_reset_request_for_another_host_is_refused_and_mails_nothing(make, client, outbox):
    user = make.user(locale="en")
    page = client.get("/password/forgot", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert "This site is not served under that address." in page.get_data(as_text=True)
    response = client.post(
        "/password/forgot", data={"email": user.email}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert outbox() == []


def test_a_forwarded_host_never_reaches_the_mailed_link(make, forms, outbox):
    user = make.user(locale="en")
    response = forms.submit(
        "/password/forgot", {"email": user.email}, headers={"X-Forwarded-Host": "evil.example"}
    )
    assert response.status_code == 302
    (link,) = reset_links(outbox)
    assert link.startswith("http://circle.test/password/reset/")
    assert "evil" not in outbox()[0].as_string()


def test_links_follow_base_url_even_when_the_request_came_by_another_trusted_host(
    database_url, tmp_path, make
):
    app = make_test_app(
        database_url,
        tmp_path,
        BASE_URL="https://circle.example.org",
        TRUSTED_HOSTS="circle.test, www.circle.example.org",
    )
    assert app.config["ALLOWED_HOSTS"][:3] == [
        "circle.example.org",
        "circle.test",
        "www.circle.example.org",
    ]
    with app.test_request_context("/", base_url="http://www.circle.example.org"):
        assert external_url("auth.login") == "https://circle.example.org/login"
        assert site_host() == "circle.example.org"


def test_behind_a_proxy_the_forwarded_host_is_checked_like_the_host(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, PROXY_COUNT=1)
    client = app.test_client()
    assert client.get("/login", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"X-Forwarded-Host": "circle.test"}).status_code == 200


def test_the_api_answers_another_host_with_a_problem(client):
    response = client.get("/api/v1/circles", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "bad_request"


def test_the_health_check_answers_any_host_for_load_balancer_probes(client):
    response = client.get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert response.status_code == 200


def test_production_refuses_to_start_without_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="BASE_URL is not set"):
        create_app({"CIRCLE_ENV": "production"})


@pytest.mark.parametrize(
    "value", ["circle.example.org", "ftp://circle.example.org", "https://x.org/app", "http://:80"]
)
def test_a_base_url_that_is_no_site_address_stops_the_start_up(monkeypatch, value):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    with pytest.raises(ConfigError, match="BASE_URL must"):
        create_app({"CIRCLE_ENV": "production", "BASE_URL": value})


def test_development_defaults_to_the_address_of_make_run(monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    app = create_app({"CIRCLE_ENV": "development"})
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"


# --- item 5: PROXY_COUNT -----------------------------------------------------------------


def _address_app(database_url, tmp_path, **overrides):
    """A test app with one extra page that shows the client address the app sees."""
    app = make_test_app(database_url, tmp_path, **overrides)
    app.add_url_rule(
        "/address-seen",
        "address_seen",
        lambda: {"remote": request.remote_addr, "limiter": get_remote_address()},
    )
    return app


def test_with_one_trusted_proxy_the_forwarded_address_is_the_client(database_url, tmp_path):
    app = _address_app(database_url, tmp_path, PROXY_COUNT=1)
    seen = app.test_client().get(
        "/address-seen",
        headers={"X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen.get_json() == {"remote": "198.51.100.7", "limiter": "198.51.100.7"}


def test_without_trusted_proxies_the_forwarded_address_is_ignored(database_url, tmp_path):
    app = _address_app(database_url, tmp_path)
    assert app.config["PROXY_COUNT"] == 0
    seen = app.test_client().get(
        "/address-seen",
        headers={"X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert seen.get_json() == {"remote": "10.0.0.2", "limiter": "10.0.0.2"}


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_proxy_count_must_be_a_whole_number_of_at_least_zero(monkeypatch, value):
    monkeypatch.setenv("PROXY_COUNT", value)
    with pytest.raises(ConfigError, match="PROXY_COUNT"):
        create_app({"CIRCLE_ENV": "test"})


# --- item 3: body caps ---------------------------------------------------------------------


def test_an_oversized_form_gets_a_translated_413_page(app, client):
    assert app.config["MAX_CONTENT_LENGTH"] == MIB
    response = client.post(
        "/login",
        data={"email": "a@example.org", "password": "x" * (MIB + 1)},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 413
    assert "Der Inhalt der Anfrage ist zu groß." in response.get_data(as_text=True)


def test_an_oversized_api_request_gets_a_problem(client):
    response = client.delete("/api/v1/tokens/1", data=b"x" * (MIB + 1))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "payload_too_large"


def test_a_chunked_body_without_length_is_cut_off_at_the_cap(client):
    response = client.post(
        "/api/v1/tokens",
        input_stream=io.BytesIO(b"{" + b" " * (2 * MIB) + b"}"),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def _big_upload(client, circle_id: int, data: bytes):
    """Send the upload form with a large file, encoded in memory (Werkzeug's test client
    would spool a large body to a temporary file that it never closes)."""
    page = client.get(f"/circles/{circle_id}/import")
    fields = {"csrf_token": csrf_token(page.get_data(as_text=True)), "date": "2025-03-05"}
    boundary, body = encode_multipart(
        MultiDict({**fields, "file": FileStorage(io.BytesIO(data), "slips.xls")})
    )
    return client.post(
        f"/circles/{circle_id}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_import_just_under_its_cap_still_works_and_one_over_gets_413(app, client, auth, world):
    # An XML file padded past the general cap (whitespace after the root element).
    padded = fixture("bni_slips_metadata.xls") + b" " * (MIB + MIB // 2)
    app.config["MAX_UPLOAD_BYTES"] = len(padded) + 4096  # room for the form around the file
    auth.login(world["admin"])
    response = _big_upload(client, world["circle"].id, padded)
    assert response.status_code == 303, response.status_code
    run_jobs(app)
    preview = text(client.get(response.headers["Location"]))
    assert "Gerda Extern" in preview and "Import 11 entries" in preview
    too_large = _big_upload(client, world["circle"].id, padded + b" " * 8192)
    assert too_large.status_code == 413
