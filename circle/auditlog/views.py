"""The audit log page of a circle (``edit_settings``: admins, president, vice president).

Other circles answer 404, members without the right 403.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from circle.auditlog import services
from circle.core.paging import page_number
from circle.models import Circle, Membership
from circle.web.boundary import circle_page

bp = Blueprint("auditlog", __name__)


@bp.get("/circles/<int:circle_id>/audit")
@circle_page("edit_settings")
def index(circle: Circle, me: Membership):
    """The circle's audit entries, newest first, 50 per page, filterable by entity type."""
    entity = request.args.get("entity") or None
    page = services.log_page(circle.id, entity, page_number(request.args.get("page")))
    return render_template(
        "auditlog/index.html",
        circle=circle,
        me=me,
        log=page,
        entity_types=page.entity_types,
        entity_label=services.entity_label,
        action_label=services.action_label,
        changes=services.visible_changes(page.entries, me),
    )
