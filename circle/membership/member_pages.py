"""Pages about a user's own seat: an invitation (accept or decline), applying, withdrawing,
taking an offered seat and leaving.

The functions are routed on the membership blueprint by ``circle.membership.views``
(endpoints ``membership.invitation``, ``membership.apply`` ...). Like every view they are
thin: check the form, call one service, flash the outcome; ``site_page`` (``circle_page``
for leaving) commits once.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from circle.auth.throttle import configured, user_or_address
from circle.circles.access import find_circle
from circle.extensions import limiter
from circle.membership import applications, invitations, services
from circle.membership.forms import ActionForm, ApplicationForm
from circle.models import Circle, Membership
from circle.web.boundary import attempt, circle_page, logged_in_user, site_page


def checked_action_form() -> bool:
    """Validate the CSRF-only form of a one-button action."""
    return ActionForm().validate_on_submit()


# --- invitations -------------------------------------------------------------------


@site_page(login=False)
def invitation(token: str):
    """Show an invitation; a logged-in invitee accepts it with one button."""
    found = invitations.invitation_by_token(token)  # invalid, used or expired: 404
    circle, inviter = invitations.invitation_details(found)
    logged_in = current_user.is_authenticated
    if logged_in:
        invitations.check_invitation_addressee(found, current_user)  # wrong account: 403
    form = ActionForm()
    error = None
    if form.is_submitted():
        if not logged_in:
            return current_app.login_manager.unauthorized()
        if form.validate():
            membership, error = attempt(lambda: invitations.accept_invitation(token, current_user))
            if error is None and found.visitor_id is not None:
                _flash_application(membership)
                return _public_page(membership.circle_id)
            if error is None:
                flash(
                    _(
                        "Welcome to %(circle)s: you hold the seat for %(profession)s.",
                        circle=membership.circle.name,
                        profession=membership.profession.name,
                    ),
                    "success",
                )
                return redirect(url_for("circles.show", circle_id=membership.circle_id))
    here = url_for("membership.invitation", token=token)
    page = render_template(
        "membership/invitation.html",
        invitation=found,
        circle=circle,
        inviter=inviter.user,
        form=form,
        error=error,
        logged_in=logged_in,
        login_url=url_for("auth.login", next=here),
        register_url=url_for("auth.register", next=here),
    )
    return page, (error.status if error else 200)


@site_page()
def decline_invitation(token: str):
    """The invitee declines through the mailed link (logged in with the invited address)."""
    if not checked_action_form():
        flash(_("The form could not be read. Please try again."), "error")
        return redirect(url_for("membership.invitation", token=token))
    invitation, _error = attempt(lambda: invitations.decline_invitation(token, current_user))
    circle = find_circle(invitation.circle_id)
    flash(_("You declined the invitation to %(circle)s.", circle=circle.name), "info")
    return redirect(url_for("auth.index"))


# --- a user's own seat -------------------------------------------------------------


def _public_page(circle_id: int):
    """Redirect to a circle's public page in the directory."""
    return redirect(url_for("circles.show_public", circle_id=circle_id))


@login_required
@limiter.limit(configured("APPLICATIONS"), key_func=user_or_address)
@site_page()
def apply(circle_id: int):
    """Apply for a profession's seat, or join its waitlist when the box is ticked.

    A refusal is flashed on the circle's public page; when the seat is taken or the
    circle is full, the message suggests the waitlist.
    """
    circle = find_circle(circle_id)
    form = ApplicationForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return _public_page(circle.id)
    membership, error = attempt(
        lambda: applications.submit_application(
            circle,
            logged_in_user(),
            form.profession.data,
            waitlist=bool(form.waitlist.data),
            sponsor_email=form.sponsor_email.data or "",
            answers=form.answers(),
        )
    )
    if error is not None:
        flash(error.message, "error")
        if error.code in ("profession_taken", "circle_full"):
            flash(
                _(
                    "Tick the waitlist box and apply again to be offered the seat as soon "
                    "as it is free."
                ),
                "info",
            )
        return _public_page(circle.id)
    _flash_application(membership)
    return _public_page(circle.id)


def _flash_application(membership: Membership) -> None:
    """Tell the applicant whether they applied or joined the waitlist."""
    if membership.status == "waitlisted":
        flash(
            _(
                "You are on the waitlist for %(profession)s. You get an e-mail when the seat "
                "is offered to you.",
                profession=membership.profession.name,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Your application for %(profession)s was sent to the people who decide on it.",
                profession=membership.profession.name,
            ),
            "success",
        )


@site_page()
def withdraw(circle_id: int):
    """Withdraw one's own application or waitlist place."""
    circle = find_circle(circle_id)
    if not checked_action_form():
        flash(_("The form could not be read. Please try again."), "error")
        return _public_page(circle.id)
    _withdrawn, error = attempt(lambda: services.withdraw(circle, current_user))
    if error is not None:
        flash(error.message, "error")
        return _public_page(circle.id)
    flash(_("Your application was withdrawn."), "success")
    return _public_page(circle.id)


@site_page()
def accept_offer(circle_id: int):
    """Take the seat offered to the first person on the waitlist."""
    circle = find_circle(circle_id)
    if not checked_action_form():
        flash(_("The form could not be read. Please try again."), "error")
        return _public_page(circle.id)
    membership, error = attempt(lambda: services.accept_offer(circle, current_user))
    if error is not None:
        flash(error.message, "error")
        return _public_page(circle.id)
    flash(
        _(
            "Welcome to %(circle)s: you hold the seat for %(profession)s.",
            circle=circle.name,
            profession=membership.profession.name,
        ),
        "success",
    )
    return redirect(url_for("circles.show", circle_id=circle.id))


@circle_page()
def leave(circle: Circle, me: Membership):
    """Give up one's own seat; the last admin is refused until another admin exists."""
    if not checked_action_form():
        flash(_("The form could not be read. Please try again."), "error")
        return redirect(url_for("circles.show", circle_id=circle.id))
    _left, error = attempt(lambda: services.leave(circle, current_user))
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("circles.show", circle_id=circle.id))
    flash(_("You left %(circle)s.", circle=circle.name), "success")
    return redirect(url_for("circles.index"))
