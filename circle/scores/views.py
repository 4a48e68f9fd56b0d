"""HTML pages of the member score: my score and why, one member's (leadership), the
chapter's traffic lights, and the point table editor (permission ``edit_settings``)."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from circle.extensions import db
from circle.models import Circle, Membership
from circle.roles.permissions import can
from circle.scores import services
from circle.scores.explain import explain, number, threshold_text
from circle.scores.forms import PointTableForm
from circle.scores.settings import update_score_settings
from circle.scores.table import AREA_LABELS, AREAS, THRESHOLD_LABELS, table_for
from circle.web.boundary import attempt, circle_page, form_error
from circle.web.kept import page_with_body

bp = Blueprint("scores", __name__)


def _score_page(circle: Circle, me: Membership, member: Membership):
    """Render one member's score with every area explained (amounts as ``me`` may see them).

    The body is kept in memory (``circle.web.kept``) under the circle's ``data_stamp``
    (every number and setting a score reads), the reader, the member, the window and the
    language."""

    def body() -> dict:
        """What the score page's body shows."""
        score = services.visible_score(me, services.member_score(circle, member))
        return {
            "circle": circle,
            "me": me,
            "score": score,
            "rows": explain(score, circle.currency),
            "is_me": member.id == me.id,
            "is_leader": services.is_leader(me),
        }

    period = services.window(circle)
    asked = (me.id, member.id, period.start, period.end)
    is_me = member.id == me.id
    return page_with_body("scores/member.html", circle, asked, body, member=member, is_me=is_me)


@bp.get("/circles/<int:circle_id>/score")
@circle_page()
def mine(circle: Circle, me: Membership):
    """My score over the last completed six months, and why."""
    return _score_page(circle, me, me)


@bp.get("/circles/<int:circle_id>/scores/<int:member_id>")
@circle_page()
def member(circle: Circle, me: Membership, member_id: int):
    """One member's score (leadership; a member sees only their own)."""
    return _score_page(circle, me, services.scored_member(circle, me, member_id))


@bp.get("/circles/<int:circle_id>/scores")
@circle_page()
def chapter(circle: Circle, me: Membership):
    """Everyone's traffic light and the distribution (the circle's leadership)."""
    services.require_leader(me)
    period = services.window(circle)
    may_edit = can(me, "edit_settings")

    def body() -> dict:
        """What the page's body shows: every member's score and the distribution."""
        scores = services.chapter_scores(circle)
        return {
            "circle": circle,
            "scores": scores,
            "period": period,
            "distribution": services.distribution(scores),
            "colour_labels": services.COLOUR_LABELS,
            "area_labels": AREA_LABELS,
            "may_edit": may_edit,
        }

    # The same for every leader who may (or may not) edit the point table.
    asked = (period.start, period.end, may_edit)
    return page_with_body("scores/chapter.html", circle, asked, body)


def _table_page(circle: Circle, me: Membership, form: PointTableForm, status: int = 200):
    """Render the point table editor."""
    return render_template(
        "scores/table.html",
        circle=circle,
        me=me,
        form=form,
        areas=AREAS,
        area_labels=AREA_LABELS,
        threshold_labels=THRESHOLD_LABELS,
        table=table_for(circle),
        threshold_text=threshold_text,
        number=number,
    ), status


@bp.route("/circles/<int:circle_id>/scores/table", methods=["GET", "POST"])
@circle_page("edit_settings")
def table(circle: Circle, me: Membership):
    """Edit the point table and the colour thresholds."""
    form = PointTableForm()
    if not form.is_submitted():
        form.fill(table_for(circle))
        form.green_min.data = circle.score_green_min
        form.yellow_min.data = circle.score_yellow_min
        form.red_min.data = circle.score_red_min
        return _table_page(circle, me, form)
    if not form.validate_on_submit():
        return _table_page(circle, me, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    _result, error = attempt(
        lambda: update_score_settings(
            circle,
            me,
            form.table(),
            form.green_min.data,
            form.yellow_min.data,
            form.red_min.data,
        )
    )
    if error is not None:
        db.session.refresh(circle)
        if error.field in AREAS:
            form.form_errors.append(error.message)
        else:
            form_error(form, error)
        return _table_page(circle, me, form, error.status)
    flash(_("The point table was saved."), "success")
    return redirect(url_for("scores.chapter", circle_id=circle.id))


@bp.app_context_processor
def _score_helpers() -> dict:
    """``is_score_leader(me)`` for templates that link to the chapter's scores."""
    return {"is_score_leader": services.is_leader}
