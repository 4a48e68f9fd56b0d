"""The roles page: who holds which officer role, the permission table, grant and revoke.

Every active member may see the page; granting and revoking need ``manage_roles``
(admins and the president). Other circles are 404, members without the right 403.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from circle.circles.access import roster
from circle.core.errors import NotFound
from circle.membership.forms import ActionForm
from circle.models import OFFICER_ROLES, Circle, Membership
from circle.roles import services
from circle.roles.forms import GrantRoleForm
from circle.roles.permissions import ROLE_LABELS, can
from circle.web.boundary import attempt, circle_page, form_error
from circle.web.kept import page_with_body

bp = Blueprint("roles", __name__)


@bp.app_context_processor
def _role_helpers() -> dict:
    """Template helpers: permission checks and the officer roles of a circle's members."""
    return {
        "can": can,
        "officer_roles": services.roles_by_member,
        "role_names": ROLE_LABELS,
    }


def _render(circle: Circle, me: Membership, form: GrantRoleForm | None = None, status=200):
    """Render the roles page; a refused grant keeps its choice and error. Without one, the
    body is kept in memory (``circle.web.kept``) under the circle's ``data_stamp`` (members,
    names, roles), the reader (whether they may manage roles) and the language."""

    def body() -> dict:
        """What the roles page's body shows."""
        members = roster(circle.id)
        return {
            "circle": circle,
            "me": me,
            "members": members,
            "held": services.roles_by_member(circle.id),
            "table": services.permission_table(),
            "role_keys": OFFICER_ROLES,
            "may_manage": can(me, "manage_roles"),
            "form": form or GrantRoleForm(members, formdata=None),
        }

    asked = (me.id,) if form is None else None
    return page_with_body("roles/index.html", circle, asked, body), status


@bp.get("/circles/<int:circle_id>/roles")
@circle_page()
def index(circle: Circle, me: Membership):
    """Officers of the circle and the permission table; the grant form for ``manage_roles``."""
    return _render(circle, me)


@bp.post("/circles/<int:circle_id>/roles")
@circle_page("manage_roles")
def grant(circle: Circle, me: Membership):
    """Give an active member an officer role."""
    form = GrantRoleForm(roster(circle.id))
    if not form.validate_on_submit():
        return _render(circle, me, form, 422)
    name, error = attempt(
        lambda: services.grant(circle, me, form.member_id.data, form.role.data).user.name
    )
    if error is not None:
        form_error(form, error)
        return _render(circle, me, form, error.status)
    flash(
        _("%(name)s is now %(role)s.", name=name, role=ROLE_LABELS[form.role.data]),
        "success",
    )
    return redirect(url_for("roles.index", circle_id=circle.id))


@bp.post("/circles/<int:circle_id>/members/<int:member_id>/roles/<role>/revoke")
@circle_page("manage_roles")
def revoke(circle: Circle, me: Membership, member_id: int, role: str):
    """Take an officer role away from a member."""
    if role not in OFFICER_ROLES:
        raise NotFound(_("Unknown role."))
    if not ActionForm().validate_on_submit():
        flash(_("The form could not be read. Please try again."), "error")
        return redirect(url_for("roles.index", circle_id=circle.id))
    name = services.revoke(circle, me, member_id, role).user.name
    flash(
        _("%(name)s is no longer %(role)s.", name=name, role=ROLE_LABELS[role]),
        "success",
    )
    return redirect(url_for("roles.index", circle_id=circle.id))
