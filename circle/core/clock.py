"""The current time, always an aware UTC datetime (one place to read the clock)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (evaluated per call)."""
    return datetime.now(UTC)
