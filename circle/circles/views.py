"""HTML pages of circles: my circles, create, roster, settings, directory, public page.

Views stay thin: a form parses, a service decides inside one unit of work, and a
domain error becomes a form error (or the 403/404 page through the error handlers).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from circle.circles import access, services
from circle.circles.forms import (
    CircleSettingsForm,
    CreateCircleForm,
    meeting_time_label,
    role_label,
    status_label,
    weekday_name,
)
from circle.core.clock import utcnow
from circle.home import agenda
from circle.meetings.forms import ReplyForm
from circle.meetings.replies import answer_label
from circle.membership.forms import ApplicationForm
from circle.membership.professions import list_professions
from circle.membership.services import live_membership
from circle.models import Circle, Membership
from circle.scores.explain import threshold_text
from circle.scores.services import best_step
from circle.web.boundary import (
    attempt,
    circle_page,
    form_error,
    logged_in_user,
    site_page,
)
from circle.web.kept import KEPT_UNTIL, page_with_body

bp = Blueprint("circles", __name__)


@bp.context_processor
def _template_helpers() -> dict:
    """Formatting helpers for the circle templates."""
    return {
        "weekday_name": weekday_name,
        "meeting_time_label": meeting_time_label,
        "status_label": status_label,
        "role_label": role_label,
        "answer_label": answer_label,
        "threshold_text": threshold_text,
    }


def _seat_numbers(limit: int, taken: int) -> dict[str, int]:
    """Seats taken, the limit and the seats still open, for the templates."""
    return {"taken": taken, "limit": limit, "open": max(limit - taken, 0)}


@bp.get("/circles")
@site_page()
def index():
    """My circles with my role, and my open applications and waitlist places."""
    memberships = access.circles_of(logged_in_user())
    counts = access.seats_taken_by_circle([m.circle_id for m in memberships])
    seats = {
        m.circle_id: _seat_numbers(m.circle.seat_limit, counts[m.circle_id]) for m in memberships
    }
    active = [m for m in memberships if m.status == "active"]
    pending = [m for m in memberships if m.status != "active"]
    return render_template("circles/index.html", active=active, pending=pending, seats=seats)


@bp.route("/circles/new", methods=["GET", "POST"])
@site_page()
def create():
    """Create a circle; the creator becomes its admin."""
    form = CreateCircleForm()
    status = 200
    if form.validate_on_submit():
        circle, error = attempt(
            lambda: services.create_circle(
                logged_in_user(), form.to_settings(), profession_name=form.profession.data or ""
            )
        )
        if error is None:
            flash(
                _("The circle %(name)s was created. You are its admin.", name=circle.name),
                "success",
            )
            return redirect(url_for("circles.show", circle_id=circle.id))
        form_error(form, error)
        status = error.status
    elif form.is_submitted():
        status = 422
    return render_template("circles/create.html", form=form, professions=list_professions()), status


@bp.get("/circles/<int:circle_id>")
@circle_page()
def show(circle: Circle, me: Membership):
    """The circle's home page: what I should do now (and, below, what my officer roles
    should), each item linking to where it is done, then the circle's menu. Members only;
    others get 404. The body is kept in memory (``circle.web.kept``) under the circle's
    ``data_stamp`` (everything the agendas read), the member, the minute and the language."""
    # Kept for the minute: meetings begin on the minute, so whether the next one has begun
    # is the same through it; a seat reserved for an invitee is freed at its expiry.
    now = utcnow()

    def body() -> dict:
        """What the page's body shows: my agenda and my officer roles' agenda."""
        mine = agenda.member_agenda(circle, me, now)
        return {
            "circle": circle,
            "me": me,
            "agenda": mine,
            "officer": agenda.officer_agenda(circle, me, mine.plan, now),
            "step": best_step(mine.score),
            "seats": _seat_numbers(circle.seat_limit, mine.seats_taken),
            "reply_form": ReplyForm(formdata=None),
            "now": now,
            KEPT_UNTIL: mine.reservations_end,
        }

    minute = now.replace(second=0, microsecond=0)
    return page_with_body("circles/show.html", circle, (me.id, minute), body)


@bp.route("/circles/<int:circle_id>/settings", methods=["GET", "POST"])
@circle_page("edit_settings")
def settings(circle: Circle, me: Membership):
    """Edit a circle's settings (``edit_settings``; other members 403, other circles 404)."""
    form = CircleSettingsForm(circle=circle)
    status = 200
    if form.validate_on_submit():
        _saved, error = attempt(lambda: services.update_circle(circle, me, form.to_settings()))
        if error is not None:
            form_error(form, error)
            status = error.status
        else:
            flash(_("The settings were saved."), "success")
            return redirect(url_for("circles.show", circle_id=circle.id))
    elif form.is_submitted():
        status = HTTPStatus.UNPROCESSABLE_ENTITY

    def body() -> dict:
        """What the settings page's body shows: the form and the seats taken (until the
        first seat reserved for an invitee is freed)."""
        taken, until = access.seats_taken_until(circle.id)
        seats = _seat_numbers(circle.seat_limit, taken)
        return {"form": form, "circle": circle, "seats": seats, KEPT_UNTIL: until}

    # The form as the circle fills it (a form sent back is drawn afresh).
    asked = None if form.is_submitted() else ()
    return page_with_body("circles/settings.html", circle, asked, body), status


@bp.get("/directory")
@site_page()
def directory():
    """Every circle with its open seats, for users looking for one to join."""
    mine = {m.circle_id: m for m in access.circles_of(logged_in_user())}
    rows = [
        (circle, _seat_numbers(circle.seat_limit, taken)) for circle, taken in access.directory()
    ]
    return render_template("circles/directory.html", rows=rows, mine=mine)


@bp.get("/directory/<int:circle_id>")
@site_page()
def show_public(circle_id: int):
    """What a non-member may see of a circle, and the form to apply for a seat.

    The circle is closed: the page names the professions whose seats are taken (so an
    applicant knows whether theirs is free) but never the members who hold them.
    """
    circle = access.find_circle(circle_id)
    taken_professions = sorted(
        (m.profession.name for m in access.roster(circle.id) if m.holds_seat),
        key=str.casefold,
    )
    membership = live_membership(circle.id, logged_in_user().id)
    return render_template(
        "circles/public.html",
        circle=circle,
        taken_professions=taken_professions,
        seats=_seat_numbers(circle.seat_limit, len(taken_professions)),
        membership=membership,
        form=ApplicationForm(),
        professions=list_professions() if membership is None else [],
    )
