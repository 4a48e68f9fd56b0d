"""Imports of slips: a dry-run preview first, then an all-or-nothing commit.

The rules:

- Only a circle's admins import (``admin_circle``). The CLI is trusted and passes no user.
- Names are matched to the circle's active members whitespace- and case-insensitively
  (``party_key`` on both sides). A name that matches no member becomes an
  ``ExternalParty`` of the circle; two members with the same name make the row an error.
- Every row gets a deterministic ``source_key``: sha256 of circle, format, date, the row's
  normalised content and its occurrence number within the file (rows of our CSV that
  carry a ``key`` column use that key instead). The key is unique per circle in the
  database, so importing the same file twice adds nothing: known keys are skipped and
  counted as ``already_imported``. Rows of our own export whose key names an entry of
  this very circle (``"<circle>:<type>:<id>"``) are recognised as present too.
- Any row error and nothing is written (``ImportRejected``). Mails are never sent.
- One-to-One and CEU rows are kept as ``OtherSlip`` and, where the names match active
  members, also become one-to-ones and education credits (``circle.imports.activity``).
- Writing is bulk: ``insert(Model)`` with lists of dicts in chunks, existing keys looked
  up once per chunk, one audit entry per import (entity ``import``, the ``Import`` id)
  rather than one per slip; imported slips point to their ``Import`` by ``import_id``.
"""

from __future__ import annotations

import hashlib
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from circle.auditlog import record as audit
from circle.circles.access import circle_for_user, lock_circle, owned, require_admin
from circle.core.clock import utcnow
from circle.core.errors import DomainError, NotFound
from circle.extensions import db
from circle.imports import activity
from circle.imports.formats.common import (
    Progress,
)

#: Rows per INSERT batch and per look-up of existing keys.
from circle.imports.planning import Summary, make_plan
from circle.imports.writing import create_externals, write
from circle.models import (
    Circle,
    Import,
    Membership,
    User,
)


class ImportRejected(DomainError):
    """The file has row errors: nothing was imported. ``summary`` holds the preview."""

    code = "import_rejected"
    status = 422

    def __init__(self, summary: Summary) -> None:
        message = ngettext(
            "%(num)s row has an error; nothing was imported.",
            "%(num)s rows have errors; nothing was imported.",
            summary.error_count,
        )
        super().__init__(message)
        self.summary = summary
        #: Merged into the API's problem response: errors per row number, and the preview.
        self.extra = {
            "errors": {str(e.row): [e.message] for e in summary.errors},
            "preview": summary.as_dict(),
        }


# --- access --------------------------------------------------------------------------


def admin_circle(user: User, circle_id: int) -> tuple[Circle, Membership]:
    """The circle and the user's membership when the user is one of its admins.

    Other circles answer NotFound, plain members Forbidden.
    """
    circle, me = circle_for_user(user, circle_id)
    require_admin(me)
    return circle, me


def imports_of(circle: Circle, limit: int = 20) -> list[Import]:
    """The circle's latest imports, newest first."""
    return list(
        db.session.execute(
            select(Import)
            .where(Import.circle_id == circle.id)
            .order_by(Import.created_at.desc(), Import.id.desc())
            .limit(limit)
        ).scalars()
    )


def import_in(circle: Circle, import_id: int) -> Import:
    """One import of this circle; another circle's id is NotFound."""
    found = owned(Import, circle.id, import_id)
    if found is None:
        raise NotFound(_("Import not found."))
    return found


# --- preview and commit --------------------------------------------------------------


def preview(
    circle: Circle,
    data: bytes,
    *,
    slip_date: date | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Read and check a file without writing anything: what an import would add.

    Raises ``ValidationFailed`` (field ``file`` or ``date``) when the file cannot be
    read at all; row errors are listed in the summary instead.
    """
    return make_plan(circle, data, slip_date, progress).summary


def commit(
    circle: Circle,
    actor: User | None,
    data: bytes,
    *,
    filename: str = "",
    slip_date: date | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Import a file: all rows or, on any row error, none (``ImportRejected``).

    Imports of one circle run one at a time (a row lock on the circle on PostgreSQL).
    Rows already imported are skipped. Records an ``Import`` and one audit entry; sends
    no mails. The caller commits (``unit_of_work``).
    """
    lock_circle(circle.id)
    plan = make_plan(circle, data, slip_date, progress)
    summary = plan.summary
    if summary.error_count:
        raise ImportRejected(summary)
    record = Import(
        circle_id=circle.id,
        created_by_id=actor.id if actor else None,
        filename=(filename or "")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        format=plan.parsed.format,
        slip_date=slip_date,
        rows=summary.rows,
        added={},
        created_at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    summary.import_id = record.id
    externals = create_externals(circle, plan)
    write(circle, actor, record.id, plan, externals, progress)
    activity.write(plan.activity, record.id, actor.id if actor else None)
    counts = summary.as_dict()
    del counts["errors"], counts["error_count"], counts["unmatched_names"]
    record.added = counts
    audit.record(circle.id, "import", record.id, "import", actor, after=counts)
    db.session.flush()
    return summary
