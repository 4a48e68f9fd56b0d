"""The test suite. Its task queue lives in the test process's memory (``QUEUE_URL``), set
here before any test imports ``circle``: the SQLite and the PostgreSQL runs go side by side
and must not share ``make run``'s queue file."""

import os

os.environ.setdefault("QUEUE_URL", "memory://")
