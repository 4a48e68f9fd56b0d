"""Uploaded files kept between the preview and the confirmation of an import.

A file is stored once under ``IMPORT_FOLDER`` (default ``instance/imports``) as
``<circle id>-<sha256>``; the confirm form carries only the hash, so a file can be
confirmed only in the circle it was uploaded to. Files older than a day are removed.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from circle.core.errors import ValidationFailed

#: Seconds an uploaded file waits for its confirmation.
KEEP_SECONDS = 24 * 3600
_SHA = re.compile(r"^[0-9a-f]{64}$")


def folder() -> Path:
    """The folder for uploads waiting for confirmation (created on demand)."""
    path = Path(
        current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(circle_id: int, sha: str) -> Path:
    """Where a circle's upload with this hash lives; refuses anything but a sha256 hex."""
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise ValidationFailed(_("The upload has expired. Please upload the file again."))
    return folder() / f"{int(circle_id)}-{sha}"


def store(circle_id: int, data: bytes) -> str:
    """Keep an upload for its confirmation; return its sha256 hex."""
    sha = hashlib.sha256(data).hexdigest()
    target = _path(circle_id, sha)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    prune()
    return sha


def load(circle_id: int, sha: str) -> bytes:
    """The upload with this hash in this circle, or ValidationFailed when it is gone."""
    path = _path(circle_id, sha)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(_("The upload has expired. Please upload the file again.")) from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise ValidationFailed(_("The upload has expired. Please upload the file again."))
    return data


def discard(circle_id: int, sha: str) -> None:
    """Remove an upload once it was imported."""
    _path(circle_id, sha).unlink(missing_ok=True)


def prune(now: float | None = None) -> None:
    """Remove uploads older than KEEP_SECONDS."""
    limit = (now or time.time()) - KEEP_SECONDS
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
