"""The visitors page: record visitors and their visits, invite them to apply.

Visitor hosts (``manage_visitors``) see and change the list; every member sees how many
visitors they invited on the circle page. Other circles are 404, members without the
right 403; a refusal is shown on the form that was sent and nothing changes. The list
is paged by keyset (``before`` / ``after``, see ``circle.core.paging``); a visitor's forms
post back to the page they are on, and the answer returns there.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from circle.circles.access import roster_names
from circle.core.paging import Keyset
from circle.core.weeks import today_for
from circle.membership import invitations
from circle.membership.forms import ActionForm
from circle.models import Circle, Membership
from circle.visitors import services
from circle.visitors.forms import VisitForm, VisitorForm, visit_prefix
from circle.web.boundary import attempt, circle_page, form_error
from circle.web.kept import KEPT_UNTIL, page_with_body

bp = Blueprint("visitors", __name__)


@bp.app_context_processor
def _visitor_helpers() -> dict:
    """``visitors_invited_by(member)`` for the circle page."""
    return {"visitors_invited_by": services.invited_by}


def _asked() -> Keyset:
    """The page of the list the request is on (the forms post back to it)."""
    return Keyset.from_args(request.args, datetime)


def _page_url(circle_id: int, asked: Keyset | None = None) -> str:
    """The visitors page, at the page of the list ``asked`` (else the newest)."""
    return url_for("visitors.index", circle_id=circle_id, **(asked.args() if asked else {}))


def _render(
    circle: Circle,
    *,
    form: VisitorForm | None = None,
    failed_visit: tuple[int, VisitForm] | None = None,
    action_error: tuple[int, str] | None = None,
    status: int = 200,
):
    """Render a page of the visitors list; the form that was sent keeps its input and errors.

    Without a sent form, the body is kept in memory (``circle.web.kept``) under the
    circle's ``data_stamp``, the day (the meetings offered), the language and the list's
    place, until the first open invitation to apply expires."""
    asked = _asked()

    def body() -> dict:
        """What the visitors page's body shows."""
        meetings = services.meeting_choices(circle)
        inviters = services.inviters(circle.id)
        members = [member for member, _count in inviters]
        default = services.default_meeting(meetings, circle)
        default_id = default.id if default else None
        page = services.visitor_page(circle.id, asked)
        invited, first_expiry = invitations.invited_to_apply(circle.id)
        # Every row offers the same meetings: their options are rendered once
        # (``visit_form``); only a form that was sent and refused is rendered from its own
        # fields.
        visit_form = VisitForm(circle, meetings, formdata=None, meeting_id=default_id)
        new_visitor = VisitorForm(circle, meetings, members, formdata=None, meeting_id=default_id)
        return {
            "circle": circle,
            "form": form or new_visitor,
            "page": page,
            "here": page.asked.args(),
            "visit_form": visit_form,
            "failed_visit": failed_visit,
            "inviters": inviters,
            "invited_to_apply": invited,
            "action_error": action_error,
            # An invitation to apply is shown as sent until it expires.
            KEPT_UNTIL: first_expiry,
        }

    fresh = form is None and failed_visit is None and action_error is None
    where = (today_for(circle), *asked.args().items()) if fresh else None
    html = page_with_body("visitors/index.html", circle, where, body)
    return html, status


@bp.get("/circles/<int:circle_id>/visitors")
@circle_page("manage_visitors")
def index(circle: Circle, me: Membership):
    """A page of the visitors (newest first) with their visits and inviters, and the form
    for a new one."""
    return _render(circle)


@bp.post("/circles/<int:circle_id>/visitors")
@circle_page("manage_visitors")
def create(circle: Circle, me: Membership):
    """Record a new visitor at a meeting."""
    form = VisitorForm(circle, services.meeting_choices(circle), roster_names(circle.id))
    if not form.validate_on_submit():
        return _render(circle, form=form, status=422)
    visitor, error = attempt(
        lambda: services.record_visitor(
            circle,
            me,
            name=form.name.data,
            company=form.company.data or "",
            profession=form.profession.data,
            email=form.email.data or "",
            phone=form.phone.data or "",
            invited_by_id=form.invited_by_id.data,
            meeting_id=form.meeting_id.data,
        )
    )
    if error is not None:
        form_error(form, error)
        return _render(circle, form=form, status=error.status)
    flash(_("%(name)s was recorded as a visitor.", name=visitor.name), "success")
    return redirect(_page_url(circle.id))


@bp.post("/circles/<int:circle_id>/visitors/<int:visitor_id>/visits")
@circle_page("manage_visitors")
def visit(circle: Circle, me: Membership, visitor_id: int):
    """Record a returning visitor at another meeting."""
    services.visitor_in_circle(circle.id, visitor_id)  # another circle's id: 404
    form = VisitForm(circle, services.meeting_choices(circle), prefix=visit_prefix(visitor_id))
    if not form.validate_on_submit():
        return _render(circle, failed_visit=(visitor_id, form), status=422)
    visitor, error = attempt(
        lambda: services.add_visit(circle, me, visitor_id, form.meeting_id.data)
    )
    if error is not None:
        form_error(form, error)
        return _render(circle, failed_visit=(visitor_id, form), status=error.status)
    flash(_("Another visit of %(name)s was recorded.", name=visitor.name), "success")
    return redirect(_page_url(circle.id, _asked()))


@bp.post("/circles/<int:circle_id>/visitors/<int:visitor_id>/applicant")
@circle_page("manage_visitors")
def applicant(circle: Circle, me: Membership, visitor_id: int):
    """Mail a visitor the invitation to apply (sponsored by the inviting member)."""
    services.visitor_in_circle(circle.id, visitor_id)
    if not ActionForm().validate_on_submit():
        return _render(
            circle,
            action_error=(visitor_id, _("The form could not be read. Please try again.")),
            status=422,
        )
    invitation, error = attempt(lambda: services.turn_into_applicant(circle, me, visitor_id))
    if error is not None:
        return _render(circle, action_error=(visitor_id, error.message), status=error.status)
    flash(
        _(
            "An invitation to apply was mailed to %(name)s (%(email)s). They become an "
            "applicant once they accept it.",
            name=invitation.name,
            email=invitation.email,
        ),
        "success",
    )
    return redirect(_page_url(circle.id, _asked()))
