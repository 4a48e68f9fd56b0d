"""Two servers of a fleet (issue 16, item 6): two app instances (gunicorn, each with an
instance folder of its own) and one worker, on loopback, against one PostgreSQL and one
Redis. What a user starts on one server, the other carries on: the login, an import
uploaded on one and confirmed on the other (the worker checks and imports it), a
password-reset mail (the worker delivers it), the count of failed logins, and a profile
photo."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import uuid
from html import unescape
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import Import
from tests.factories import PASSWORD, Factory
from tests.imports.support import fixture
from tests.servers import free_port, redis_url, wait_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

__all__ = ["redis_url"]  # the fixture, from tests/servers.py

ROOT = Path(__file__).resolve().parents[2]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process of the fleet, its output appended to ``log``."""
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", *command], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    finally:
        os.close(out)


def _healthy(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _hidden(html: str, name: str) -> str:
    """The value of the page's first hidden field ``name``."""
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert found, name
    return unescape(found.group(1))


def _token(session: requests.Session, url: str) -> str:
    """The CSRF token of the page at ``url`` (tied to the session's cookie)."""
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    return _hidden(page.text, "csrf_token")


def _wait_for_state(session: requests.Session, url: str, state: str, log: Path) -> None:
    """Poll an import job's status (as its page does) until the worker brought it to
    ``state``; the failure shows the last state seen and the fleet's log."""
    seen: list[dict] = []

    def reached() -> bool:
        seen.append(session.get(url + "/status", timeout=10).json())
        return seen[-1]["state"] == state

    try:
        wait_for(reached, f"{url} {state}")
    except pytest.fail.Exception:
        pytest.fail(f"{url}: {state} not reached; last {seen[-1:]}\n{log.read_text()[-4000:]}")


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_user_moves_between_two_servers_and_nothing_is_lost(
    committed_app, database_url, redis_url, tmp_path
):
    make = Factory(committed_app)
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin)
    outbox = tmp_path / "outbox"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "FLASK_DEBUG")},
        "CIRCLE_ENV": "development",
        "SECRET_KEY": "fleet-" + uuid.uuid4().hex,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "QUEUE_URL": redis_url.rsplit("/", 1)[0] + "/1",
        "RATELIMIT_KEY_PREFIX": f"fleet-{uuid.uuid4().hex}",
        "RATELIMIT_LOGIN_ACCOUNT": "3 per hour",
        "MAIL_OUTBOX": str(outbox),
        "PYTHONUNBUFFERED": "1",
    }
    processes, bases = [], []
    log = tmp_path / "fleet.log"
    try:
        for name in ("a", "b"):
            port = free_port()
            server_env = {**env, "INSTANCE_PATH": str(tmp_path / f"instance-{name}")}
            processes.append(
                _start(
                    ["gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                    server_env,
                    log,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        worker_env = {**env, "INSTANCE_PATH": str(tmp_path / "instance-worker")}
        processes.append(
            _start(
                ["flask", "--app", "wsgi", "circle", "worker", "--workers", "1"], worker_env, log
            )
        )
        for base in bases:
            wait_for(lambda base=base: _healthy(base), base)
        a, b = bases
        user = requests.Session()

        # Logged in on A, known on B.
        login = user.post(
            a + "/login",
            data={
                "csrf_token": _token(user, a + "/login"),
                "email": "anna@example.org",
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=30,
        )
        assert login.status_code == 302, login.text[-500:]
        assert user.get(f"{b}/circles/{circle.id}", timeout=10).status_code == 200

        # An import uploaded on A is checked by the worker, confirmed on B, imported by
        # the worker, and its progress read on either server.
        sent = user.post(
            f"{a}/circles/{circle.id}/import",
            data={
                "csrf_token": _token(user, f"{a}/circles/{circle.id}/import"),
                "date": "2025-03-05",
            },
            files={"file": ("bni_slips_metadata.xls", fixture("bni_slips_metadata.xls"))},
            allow_redirects=False,
            timeout=60,
        )
        assert sent.status_code == 303, sent.text[-500:]
        job_path = sent.headers["Location"].removeprefix(a)
        _wait_for_state(user, b + job_path, "checked", log)
        preview = user.get(b + job_path, timeout=10)
        assert "Import 11 entries" in preview.text
        confirm = re.search(r'action="([^"]*/confirm)"', preview.text).group(1)
        confirmed = user.post(
            b + confirm,
            data={"csrf_token": _hidden(preview.text, "csrf_token")},
            allow_redirects=False,
            timeout=30,
        )
        assert confirmed.status_code == 303
        _wait_for_state(user, a + job_path, "done", log)
        with committed_app.app_context():
            assert db.session.execute(select(func.count(Import.id))).scalar_one() == 1

        # A photo uploaded on A is served by B.
        saved = user.post(
            a + "/account/profile/pictures/photo",
            data={"photo-csrf_token": _token(user, a + "/account/profile")},
            files={"photo-picture": ("me.jpg", _photo(), "image/jpeg")},
            allow_redirects=False,
            timeout=30,
        )
        assert saved.status_code == 302, saved.text[-500:]
        edit = user.get(b + "/account/profile", timeout=10).text
        src = unescape(re.search(r'src="(/people/\d+/pictures/photo/small[^"]*)"', edit).group(1))
        picture = user.get(b + src, timeout=10)
        assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/jpeg"

        # A reset asked on B is mailed by the worker.
        stranger = requests.Session()
        asked = stranger.post(
            b + "/password/forgot",
            data={
                "csrf_token": _token(stranger, b + "/password/forgot"),
                "email": "anna@example.org",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert asked.status_code in (200, 302)
        wait_for(lambda: any(outbox.glob("*.eml")), f"the reset mail: {log.read_text()[-2000:]}")
        [mail] = outbox.glob("*.eml")
        assert b"/password/reset/" in mail.read_bytes()

        # Failed logins count across both servers: the fourth is refused wherever it lands.
        statuses = []
        for base in (a, b, a, b):
            attempt = stranger.post(
                base + "/login",
                data={
                    "csrf_token": _token(stranger, base + "/login"),
                    "email": "anna@example.org",
                    "password": "wrong password",
                },
                allow_redirects=False,
                timeout=30,
            )
            statuses.append(attempt.status_code)
        assert statuses[:3] != [429] * 3 and statuses[3] == 429, statuses
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
