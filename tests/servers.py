"""Real servers beside the tests: free loopback ports, waiting for a server to come up, and
a Redis (the local one on 6379, or Debian's redis-server started for the test)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check, what: str, seconds: float = 30.0) -> None:
    """Poll ``check`` until it is true; fail the test with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not come up within {seconds:.0f} s")


@pytest.fixture
def redis_url(tmp_path):
    """The Redis at 127.0.0.1:6379, or Debian's redis-server started on a free port here."""
    if listening(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path)),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: listening(port), "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
