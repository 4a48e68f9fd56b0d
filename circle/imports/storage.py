"""Uploaded files kept between the preview and the confirmation of an import.

A file is kept once per circle in the database (``import_uploads``), keyed by its SHA-256,
so that any server of the fleet can confirm what another one previewed; the confirm form
carries only the hash, so a file can be confirmed only in the circle it was uploaded to.
Files older than a day are removed (at the next upload and by the nightly purge). The
functions only add, read and delete rows: the request's transaction commits them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select

from circle.core.clock import utcnow
from circle.core.errors import ValidationFailed
from circle.extensions import db
from circle.models import ImportUpload

#: How long an uploaded file waits for its confirmation.
KEEP = timedelta(days=1)
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _expired() -> ValidationFailed:
    return ValidationFailed(_("The upload has expired. Please upload the file again."))


def _checked(sha: str) -> str:
    """The hash as a form brought it; anything but a sha256 hex is an expired upload."""
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise _expired()
    return sha


def store(circle_id: int, data: bytes) -> str:
    """Keep an upload for its confirmation (once: the same file again is the same row,
    its day starting anew); return its sha256 hex."""
    prune()
    sha = hashlib.sha256(data).hexdigest()
    found = db.session.get(ImportUpload, (circle_id, sha))
    if found is None:
        db.session.add(ImportUpload(circle_id=circle_id, sha256=sha, data=data))
    else:
        found.created_at = utcnow()
    db.session.flush()
    return sha


def load(circle_id: int, sha: str) -> bytes:
    """The upload with this hash in this circle, or ValidationFailed when it is gone."""
    data = db.session.execute(
        select(ImportUpload.data).where(
            ImportUpload.circle_id == circle_id,
            ImportUpload.sha256 == _checked(sha),
            ImportUpload.created_at >= utcnow() - KEEP,
        )
    ).scalar_one_or_none()
    if data is None or hashlib.sha256(data).hexdigest() != sha:
        raise _expired()
    return bytes(data)


def discard(circle_id: int, sha: str) -> None:
    """Remove an upload once it was imported."""
    db.session.execute(
        delete(ImportUpload).where(
            ImportUpload.circle_id == circle_id, ImportUpload.sha256 == _checked(sha)
        )
    )


def prune() -> int:
    """Remove uploads older than ``KEEP``; how many."""
    return db.session.execute(
        delete(ImportUpload).where(ImportUpload.created_at < utcnow() - KEEP)
    ).rowcount
