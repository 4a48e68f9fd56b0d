"""The audit log page of a circle (``edit_settings``: admins, president, vice president).

Other circles answer 404, members without the right 403. The log is paged by keyset:
"older" and "newer" links carry the place where the reader left off (``before`` or
``after``), together with the type filter; a place that does not parse shows the newest
entries.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, request

from circle.auditlog import services
from circle.core.paging import Keyset
from circle.models import Circle, Membership
from circle.web.boundary import circle_page
from circle.web.kept import page_with_body

bp = Blueprint("auditlog", __name__)


@bp.get("/circles/<int:circle_id>/audit")
@circle_page("edit_settings")
def index(circle: Circle, me: Membership):
    """The circle's audit entries, newest first, a page at a time, filterable by type. The
    body is kept in memory (``circle.web.kept``) under the circle's ``data_stamp`` (every
    entry and name), the reader (what they may see of a change), the language, the type and
    the place."""
    entity = request.args.get("entity") or None
    asked = Keyset.from_args(request.args, datetime)

    def body() -> dict:
        """What the log's body shows: a page of entries with what the reader may see."""
        log = services.log_page(circle.id, entity, asked)
        return {
            "circle": circle,
            "me": me,
            "log": log,
            "entity_types": services.entity_types(),
            "entity_label": services.entity_label,
            "action_label": services.action_label,
            "changes": services.visible_changes(log.entries, me),
            "page_args": {"circle_id": circle.id, "entity": log.entity},
        }

    where = (me.id, entity, *asked.args().items())
    return page_with_body("auditlog/index.html", circle, where, body)
