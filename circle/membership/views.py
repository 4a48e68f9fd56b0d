"""HTML pages for seats: the admin's members page, invitations, applications, leaving.

Every view is thin: it checks the form, calls one service (``circle_page`` commits once) and
either redirects (PRG) or re-renders the page with the service's refusal on the form
that was sent. Objects of another circle are 404 (the services raise NotFound); plain
members get 403 on the admin pages.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from circle.circles.access import roster, seats_among
from circle.core.errors import DomainError
from circle.membership import applications, invitations, member_pages, services
from circle.membership.forms import (
    ADD_PREFIX,
    INVITE_PREFIX,
    ROW_SLOT,
    AddMemberForm,
    DeclineForm,
    InviteForm,
    ProfessionForm,
    RoleForm,
    decline_prefix,
    profession_prefix,
)
from circle.models import Circle, Membership
from circle.web.boundary import attempt, circle_page, form_error
from circle.web.kept import KEPT_UNTIL, page_with_body

bp = Blueprint("membership", __name__)

T = TypeVar("T")


def _manage_url(circle_id: int) -> str:
    """The URL of the members page."""
    return url_for("membership.manage", circle_id=circle_id)


#: A member id no circle reaches, built into a row action's URL once per page and replaced.
_URL_SLOT = 987654321


def _row_urls(circle_id: int) -> Callable[[str, int], str]:
    """``row_url(endpoint, member_id)``: the URL of a member row's action. Each endpoint is
    built by ``url_for`` once per page and filled in for every row (forty rows of three
    actions would otherwise route 120 URLs)."""
    built: dict[str, tuple[str, str]] = {}

    def row_url(endpoint: str, member_id: int) -> str:
        parts = built.get(endpoint)
        if parts is None:
            head, _slot, tail = url_for(
                endpoint, circle_id=circle_id, member_id=_URL_SLOT
            ).rpartition(str(_URL_SLOT))
            parts = built[endpoint] = (head, tail)
        return f"{parts[0]}{member_id}{parts[1]}"

    return row_url


def _render_manage(
    circle: Circle,
    *,
    add_form: AddMemberForm | None = None,
    invite_form: InviteForm | None = None,
    failed_profession: tuple[int, ProfessionForm] | None = None,
    action_error: tuple[str, str] | None = None,
    failed_decline: tuple[int, DeclineForm] | None = None,
    status: int = 200,
):
    """Render the members page; the form that was sent (if any) keeps its input and errors.

    ``action_error`` is ``(section, message)`` for a refused one-button action. Without
    any of those, the body is kept in memory (``circle.web.kept``) under the circle's
    ``data_stamp`` and the language, until the first open invitation expires.
    """

    def body() -> dict:
        """What the members page's body shows."""
        members = roster(circle.id)
        # One blank change-profession form, rendered once and filled in with each row's id
        # (40 forms rendered field by field cost most of the page); the form that was sent,
        # with its input and errors, in its own row.
        profession_forms = dict([failed_profession]) if failed_profession is not None else {}
        waiting = invitations.open_invitations(circle.id)
        taken = seats_among(members, waiting)  # the same count as seats_taken, read already
        requests = applications.open_requests(circle.id)
        return {
            "circle": circle,
            "members": members,
            "taken": taken,
            "limit": circle.seat_limit,
            "open_seats": max(circle.seat_limit - taken, 0),
            "profession_forms": profession_forms,
            "blank_profession_form": ProfessionForm(
                formdata=None, prefix=profession_prefix(ROW_SLOT)
            ),
            "row_slot": ROW_SLOT,
            "row_url": _row_urls(circle.id),
            "add_form": add_form or AddMemberForm(formdata=None, prefix=ADD_PREFIX),
            "invite_form": invite_form or InviteForm(formdata=None, prefix=INVITE_PREFIX),
            "invitations": waiting,
            "applications": [m for m in requests if m.status == "applicant"],
            "waitlist": [m for m in requests if m.status == "waitlisted"],
            "sponsors": applications.sponsors_of(requests),
            "decline_forms": _decline_forms(requests, failed_decline, "manage"),
            "questions": applications.QUESTIONS,
            "action_error": action_error,
            # An open invitation holds a seat until it expires.
            KEPT_UNTIL: min((i.expires_at for i in waiting), default=None),
        }

    sent = (add_form, invite_form, failed_profession, action_error, failed_decline)
    asked = () if sent == (None,) * 5 else None
    page = page_with_body("membership/manage.html", circle, asked, body)
    return page, status


def _action_refused(circle: Circle, section: str, error: DomainError):
    """Re-render the members page with a refused one-button action."""
    return _render_manage(circle, action_error=(section, error.message), status=error.status)


# --- the admin's members page ------------------------------------------------------


def _admin_action(
    circle: Circle,
    me: Membership,
    section: str,
    action: Callable[[Circle, Membership], T],
    done: Callable[[T], str],
):
    """The steps every one-button admin action shares: CSRF, the action in a savepoint,
    a refusal shown in its section of the page, or a success message and back to the page.
    """
    if not member_pages.checked_action_form():
        return _render_manage(circle, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    result, error = attempt(lambda: action(circle, me))
    if error is not None:
        return _action_refused(circle, section, error)
    flash(done(result), "success")
    return redirect(_manage_url(circle.id))


@bp.get("/circles/<int:circle_id>/members/manage")
@circle_page(admin=True)
def manage(circle: Circle, me: Membership):
    """The admin page: seats, members, invitations, applications and the waitlist."""
    return _render_manage(circle)


@bp.post("/circles/<int:circle_id>/members")
@circle_page(admin=True)
def add(circle: Circle, me: Membership):
    """Reserve a seat for a person and mail them an invitation; they join on accepting."""
    form = AddMemberForm(prefix=ADD_PREFIX)
    if not form.validate_on_submit():
        return _render_manage(circle, add_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    invitation, error = attempt(
        lambda: invitations.add_member(
            circle, me, form.email.data, form.name.data, form.profession.data
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_manage(circle, add_form=form, status=error.status)
    flash(
        _(
            "The seat for %(profession)s is reserved for %(name)s; an invitation went to "
            "%(email)s.",
            profession=invitation.profession.name,
            name=invitation.name,
            email=invitation.email,
        ),
        "success",
    )
    return redirect(_manage_url(circle.id))


@bp.post("/circles/<int:circle_id>/invitations")
@circle_page(admin=True)
def invite(circle: Circle, me: Membership):
    """Invite a person by e-mail to a profession's seat."""
    form = InviteForm(prefix=INVITE_PREFIX)
    if not form.validate_on_submit():
        return _render_manage(circle, invite_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    result, error = attempt(
        lambda: invitations.invite(
            circle, me, form.email.data, form.name.data, form.profession.data
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_manage(circle, invite_form=form, status=error.status)
    invitation, _token = result
    flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
    return redirect(_manage_url(circle.id))


@bp.post("/circles/<int:circle_id>/invitations/<int:invitation_id>/revoke")
@circle_page(admin=True)
def revoke_invitation(circle: Circle, me: Membership, invitation_id: int):
    """Withdraw an open invitation."""
    return _admin_action(
        circle,
        me,
        "invitations",
        lambda circle, actor: invitations.revoke_invitation(circle, actor, invitation_id),
        lambda invitation: _("The invitation to %(email)s was revoked.", email=invitation.email),
    )


@bp.post("/circles/<int:circle_id>/members/<int:member_id>/profession")
@circle_page(admin=True)
def change_profession(circle: Circle, me: Membership, member_id: int):
    """Move a member to another profession; the seat rules apply."""
    form = ProfessionForm(prefix=profession_prefix(member_id))
    if not form.validate_on_submit():
        services.member_in_circle(circle.id, member_id)  # another circle's id: 404
        return _render_manage(
            circle, failed_profession=(member_id, form), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    membership, error = attempt(
        lambda: services.change_profession(circle, me, member_id, form.profession.data)
    )
    if error is not None:
        form_error(form, error)
        return _render_manage(circle, failed_profession=(member_id, form), status=error.status)
    flash(
        _(
            "%(name)s now holds the seat for %(profession)s.",
            name=membership.user.name,
            profession=membership.profession.name,
        ),
        "success",
    )
    return redirect(_manage_url(circle.id))


@bp.post("/circles/<int:circle_id>/members/<int:member_id>/role")
@circle_page(admin=True)
def set_role(circle: Circle, me: Membership, member_id: int):
    """Appoint an admin or make an admin a plain member (a circle keeps one admin)."""
    form = RoleForm()
    if not form.validate_on_submit():
        services.member_in_circle(circle.id, member_id)
        message = "; ".join(form.role.errors) or _("The form could not be read.")
        return _render_manage(
            circle, action_error=("members", message), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    membership, error = attempt(lambda: services.set_role(circle, me, member_id, form.role.data))
    if error is not None:
        return _action_refused(circle, "members", error)
    if membership.role == "admin":
        flash(_("%(name)s is now an admin.", name=membership.user.name), "success")
    else:
        flash(
            _("%(name)s is now a member without admin rights.", name=membership.user.name),
            "success",
        )
    return redirect(_manage_url(circle.id))


@bp.post("/circles/<int:circle_id>/members/<int:member_id>/remove")
@circle_page(admin=True)
def remove(circle: Circle, me: Membership, member_id: int):
    """Remove a member: the seat is freed (and offered to the waitlist), history kept."""
    return _admin_action(
        circle,
        me,
        "members",
        lambda circle, actor: services.remove(circle, actor, member_id),
        lambda m: _("%(name)s was removed from the circle.", name=m.user.name),
    )


def _render_applications(
    circle: Circle,
    actor: Membership,
    *,
    failed_decline: tuple[int, DeclineForm] | None = None,
    action_error: str | None = None,
    status: int = 200,
):
    """Render the applications page; a refused decline keeps its reason and error."""
    requests = applications.open_requests(circle.id)
    page = render_template(
        "membership/applications.html",
        circle=circle,
        me=actor,
        requests=requests,
        sponsors=applications.sponsors_of(requests),
        questions=applications.QUESTIONS,
        decline_forms=_decline_forms(requests, failed_decline, "applications"),
        action_error=action_error,
    )
    return page, status


def _decline_forms(
    requests: list[Membership], failed: tuple[int, DeclineForm] | None, page: str
) -> dict[int, DeclineForm]:
    """One decline form per open request; the one that was refused keeps its input."""
    forms = {
        m.id: DeclineForm(formdata=None, prefix=decline_prefix(m.id), page=page) for m in requests
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return forms


def _decision_refused(
    circle: Circle,
    actor: Membership,
    page: str,
    error: DomainError | None = None,
    failed_decline: tuple[int, DeclineForm] | None = None,
):
    """Re-render the page the decision was sent from with the refusal."""
    status = error.status if error is not None else HTTPStatus.UNPROCESSABLE_ENTITY
    message = None
    if failed_decline is None:
        message = error.message if error else _("The form could not be read. Please try again.")
    if page == "manage" and actor.is_admin:
        return _render_manage(
            circle,
            action_error=("applications", message) if message else None,
            failed_decline=failed_decline,
            status=status,
        )
    return _render_applications(
        circle, actor, failed_decline=failed_decline, action_error=message, status=status
    )


def _after_decision(circle_id: int, page: str, actor: Membership):
    """Back to the page the decision was sent from (PRG)."""
    if page == "manage" and actor.is_admin:
        return redirect(_manage_url(circle_id))
    return redirect(url_for("membership.applications", circle_id=circle_id))


@bp.get("/circles/<int:circle_id>/applications", endpoint="applications")
@circle_page("approve_applications")
def applications_page(circle: Circle, me: Membership):
    """Open applications and the waitlist with sponsor and answers (``approve_applications``)."""
    return _render_applications(circle, me)


@bp.post("/circles/<int:circle_id>/applications/<int:member_id>/approve")
@circle_page("approve_applications")
def approve(circle: Circle, me: Membership, member_id: int):
    """Admit an applicant or someone on the waitlist; a taken seat puts an applicant in line."""
    page = request.form.get("page", "")
    if not member_pages.checked_action_form():
        services.member_in_circle(circle.id, member_id)
        return _decision_refused(circle, me, page)
    membership, error = attempt(lambda: applications.approve(circle, me, member_id))
    if error is not None:
        return _decision_refused(circle, me, page, error)
    if membership.status == "waitlisted":
        flash(
            _(
                "The seat for %(profession)s is taken: %(name)s is now on its waitlist.",
                profession=membership.profession.name,
                name=membership.user.name,
            ),
            "info",
        )
    else:
        flash(
            _(
                "%(name)s now holds the seat for %(profession)s.",
                name=membership.user.name,
                profession=membership.profession.name,
            ),
            "success",
        )
    return _after_decision(circle.id, page, me)


@bp.post("/circles/<int:circle_id>/applications/<int:member_id>/decline")
@circle_page("approve_applications")
def decline(circle: Circle, me: Membership, member_id: int):
    """Decline an application or take someone off the waitlist; the reason is mailed."""
    services.member_in_circle(circle.id, member_id)  # another circle's id: 404
    form = DeclineForm(prefix=decline_prefix(member_id))
    page = form.page.data or ""
    if not form.validate_on_submit():
        return _decision_refused(circle, me, page, failed_decline=(member_id, form))
    membership, error = attempt(
        lambda: applications.decline(circle, me, member_id, form.reason.data)
    )
    if error is not None:
        if error.field == "reason":
            form_error(form, error)
            return _decision_refused(circle, me, page, error, (member_id, form))
        return _decision_refused(circle, me, page, error)
    flash(_("The application of %(name)s was declined.", name=membership.user.name), "success")
    return _after_decision(circle.id, page, me)


# --- pages about a user's own seat (circle.membership.member_pages) ---------------


bp.add_url_rule("/invitations/<token>", view_func=member_pages.invitation, methods=["GET", "POST"])
bp.add_url_rule(
    "/invitations/<token>/decline", view_func=member_pages.decline_invitation, methods=["POST"]
)
bp.add_url_rule("/directory/<int:circle_id>/apply", view_func=member_pages.apply, methods=["POST"])
bp.add_url_rule(
    "/directory/<int:circle_id>/withdraw", view_func=member_pages.withdraw, methods=["POST"]
)
bp.add_url_rule(
    "/directory/<int:circle_id>/accept-offer", view_func=member_pages.accept_offer, methods=["POST"]
)
bp.add_url_rule("/circles/<int:circle_id>/leave", view_func=member_pages.leave, methods=["POST"])
