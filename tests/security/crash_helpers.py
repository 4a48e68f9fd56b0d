"""Helpers of the crash-safety test: a throwaway PostgreSQL database and a real gunicorn.

Everything here is bounded in time: a process that does not come up, a port that never
answers or a worker that is not respawned fails the test instead of hanging it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]  # the project root (tests/security/ is two below)


@contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``server_url``; drop it afterwards.

    Yields the URL of the new database. ``WITH (FORCE)`` ends connections that a killed
    process may have left behind, so the drop never waits for them.
    """
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(database_url: str, outbox: Path) -> dict[str, str]:
    """The environment of the app under gunicorn: development mode on ``database_url``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "FLASK_DEBUG")}
    env.update(
        CIRCLE_ENV="development",
        SECRET_KEY="crash-test-" + os.urandom(8).hex(),
        DATABASE_URL=database_url,
        MAIL_OUTBOX=str(outbox),
        RATELIMIT_ENABLED="false",
        FLASK_APP="wsgi",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_db_upgrade(env: dict[str, str]) -> None:
    """Run ``flask db upgrade`` as an operator would; fail with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log: Path, workers: int = 2):
    """Start ``gunicorn wsgi:app`` in its own session (so it can be killed as a group)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "--no-control-socket",  # not the shared ~/.gunicorn/gunicorn.ctl
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def get_json(port: int, path: str, timeout: float = 2.0) -> tuple[int, dict]:
    """GET ``path`` on the local server; return the status and the JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw or b"{}")
    finally:
        conn.close()


def wait_until_healthy(process, port: int, log: Path, seconds: float = 30.0) -> None:
    """Wait until ``/healthz`` answers 200; fail early when gunicorn exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + log.read_text(errors="replace")[-3000:])
        try:
            if get_json(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("gunicorn did not answer in time:\n" + log.read_text(errors="replace"))


def children(pid: int) -> set[int]:
    """The live (not zombie) child processes of ``pid``, read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after the ")".
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def wait_for_workers(master: int, count: int, without: set[int], seconds: float = 20.0) -> set[int]:
    """Wait until ``master`` has ``count`` workers, none of them in ``without``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = children(master)
        if len(workers) == count and not workers & without:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"gunicorn did not respawn its workers: {children(master)}")


def _connections_on(port: int) -> set[str]:
    """Socket inodes of the established TCP connections whose local port is ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
            inodes.add(f"socket:[{inode}]")
    return inodes


def busy_workers(workers: set[int], port: int) -> set[int]:
    """The workers holding an accepted client connection: each is serving a request now.

    A sync worker accepts one connection, answers and closes it (no keep-alive), so an
    open connection on the server's port means a request in flight in that worker.
    """
    inodes = _connections_on(port)
    busy = set()
    for pid in workers:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    busy.add(pid)
                    break
            except OSError:
                continue
    return busy


def wait_for_busy(workers: set[int], port: int, seconds: float = 20.0) -> set[int]:
    """Wait until at least one of ``workers`` is serving a request; return the busy ones."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = busy_workers(workers, port)
        if busy:
            return busy
        time.sleep(0.005)
    raise AssertionError(f"no worker of {workers} took a request in time")


def kill(pid: int) -> None:
    """SIGKILL one process; it may already be gone."""
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_group(process) -> None:
    """SIGKILL gunicorn's whole session (master and workers) and reap the master."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
