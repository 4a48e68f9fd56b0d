"""The list of common passwords shipped with Circle (``circle/data/common-passwords.txt``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def _common() -> frozenset[str]:
    """The shipped list, lower-case, read once per process (comment lines skipped)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    """True when ``password`` (ignoring case and surrounding spaces) is on the common list."""
    return password.strip().lower() in _common()
