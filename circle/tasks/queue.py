"""The task queue: Huey, embedded on a SQLite file for ``make run`` (no server needed),
on Redis in production (``QUEUE_URL=redis://...``, shared by every web server and worker).

``QUEUE_URL`` is read from the environment when this module is imported, by the web
processes (which put tasks on the queue) and by the worker (which runs them) alike, so
both always talk to the same queue.
"""

from __future__ import annotations

import os
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

#: The queue's name: its keys in Redis and its rows in SQLite carry it.
NAME = "circle"
#: Where ``make run`` keeps its queue: beside the development database.
DEFAULT_URL = "sqlite:///" + str(Path(__file__).resolve().parents[2] / "instance" / "queue.sqlite3")


class QueueConfigError(ValueError):
    """``QUEUE_URL`` names no queue Circle can use."""


def make_huey(url: str) -> Huey:
    """The queue for ``url``: ``redis://`` / ``rediss://`` (production), ``sqlite:///path``
    (one machine) or ``memory://`` (one process: tests)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, filename=str(path))
    if url == "memory://":
        return MemoryHuey(NAME)
    raise QueueConfigError(
        "QUEUE_URL must start with redis://, rediss:// or sqlite:/// (or be memory://),"
        f" not {url!r}."
    )


huey = make_huey(os.environ.get("QUEUE_URL") or DEFAULT_URL)
