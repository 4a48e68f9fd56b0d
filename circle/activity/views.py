"""HTML pages for one-to-ones and education credits: record, list, void.

One page per member ("My one-to-ones and education"): both entry forms and both lists,
each row with a form to void it with a reason. Each list is paged by keyset on its own
(``circle.core.paging``: ``met_before`` / ``met_after``, ``ceu_before`` / ``ceu_after``);
a void form posts back to the places the page had, and the answer returns there.

Views stay thin: a form parses, a service of ``circle.activity.services`` decides inside
one unit of work, and a refusal comes back on the field it concerns.
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from circle.activity import services
from circle.activity.forms import (
    CREDIT_PREFIX,
    MET_PREFIX,
    VOID_PREFIX,
    CreditForm,
    OneToOneForm,
    VoidForm,
)
from circle.circles.access import roster_names
from circle.core.paging import Keyset
from circle.core.weeks import today_for
from circle.models import Circle, Membership
from circle.referrals.views import day_label
from circle.web.boundary import attempt, circle_page, form_error
from circle.web.kept import page_with_body

bp = Blueprint("activity", __name__)


def _places() -> tuple[Keyset, Keyset]:
    """Where the request has each list: one-to-ones (``met_before`` / ``met_after``) and
    credits (``ceu_before`` / ``ceu_after``); a place that does not parse is the newest."""
    return (
        Keyset.from_args(request.args, date, "met_"),
        Keyset.from_args(request.args, date, "ceu_"),
    )


def _back(circle: Circle) -> str:
    """The activity page with both lists where the request had them."""
    met_place, credit_place = _places()
    return url_for("activity.index", circle_id=circle.id, **met_place.args(), **credit_place.args())


def _met_form(circle: Circle, me: Membership, **kwargs) -> OneToOneForm:
    """The one-to-one form offering the other active members."""
    form = OneToOneForm(prefix=MET_PREFIX, **kwargs)
    form.set_choices([m for m in roster_names(circle.id) if m.id != me.id], today_for(circle))
    return form


def _credit_form(circle: Circle, **kwargs) -> CreditForm:
    """The education credit form, dated today by default."""
    form = CreditForm(prefix=CREDIT_PREFIX, **kwargs)
    form.set_default_day(today_for(circle))
    return form


def _page(
    circle: Circle,
    me: Membership,
    *,
    met_form: OneToOneForm | None = None,
    credit_form: CreditForm | None = None,
    void_form: VoidForm | None = None,
    void_target: str = "",
    status: int = 200,
):
    """Render the activity page; a form that was sent keeps its input and errors.

    Each list is at the place the request names (see ``_places``); ``here`` keeps both.
    Without sent forms, the body is kept in memory (``circle.web.kept``) under the circle's
    ``data_stamp``, the member, the day (the forms' default day), the language and the
    places.
    """
    met_place, credit_place = _places()
    here = {**met_place.args(), **credit_place.args()}

    def body() -> dict:
        """What the page's body shows: my lists at their places and the forms."""
        return {
            "circle": circle,
            "me": me,
            "met_form": met_form or _met_form(circle, me, formdata=None),
            "credit_form": credit_form or _credit_form(circle, formdata=None),
            "void_form": void_form or VoidForm(formdata=None, prefix=VOID_PREFIX),
            "void_target": void_target,
            "one_to_ones": services.one_to_one_page(circle, me.id, met_place),
            "credits": services.credit_page(circle, me.id, credit_place),
            "here": here,
            "may_void": lambda entry: services.may_void(me, entry),
            "day_label": day_label,
        }

    fresh = met_form is None and credit_form is None and void_form is None
    asked = (me.id, today_for(circle), *here.items()) if fresh else None
    page = page_with_body("activity/index.html", circle, asked, body)
    return page, status


@bp.get("/circles/<int:circle_id>/activity")
@circle_page()
def index(circle: Circle, me: Membership):
    """My one-to-ones and education credits, with the forms to record more."""
    return _page(circle, me)


@bp.post("/circles/<int:circle_id>/one-to-ones")
@circle_page()
def record_one_to_one(circle: Circle, me: Membership):
    """Record a one-to-one with another member (once per pair and day)."""
    form = _met_form(circle, me)
    if not form.validate_on_submit():
        return _page(circle, me, met_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    data = services.OneToOneInput(
        other_id=form.other_id.data, met_on=form.met_on.data, note=form.note.data or ""
    )
    entry, error = attempt(lambda: services.record_one_to_one(circle, me, data))
    if error is not None:
        form_error(form, error)
        return _page(circle, me, met_form=form, status=error.status)
    flash(
        _(
            "One-to-one with %(name)s recorded.",
            name=services.partner(entry, me.id).user.name,
        ),
        "success",
    )
    return redirect(url_for("activity.index", circle_id=circle.id))


@bp.post("/circles/<int:circle_id>/one-to-ones/<int:entry_id>/void")
@circle_page()
def void_one_to_one(circle: Circle, me: Membership, entry_id: int):
    """Void one of my one-to-ones with a reason."""
    services.one_to_one_in(circle, me, entry_id)
    return _void(circle, me, f"one-to-one-{entry_id}", services.void_one_to_one, entry_id)


@bp.post("/circles/<int:circle_id>/education")
@circle_page()
def add_credit(circle: Circle, me: Membership):
    """Record an education credit (what, how many minutes, when)."""
    form = _credit_form(circle)
    if not form.validate_on_submit():
        return _page(circle, me, credit_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    data = services.CreditInput(
        topic=form.topic.data or "", minutes=form.minutes.data, completed_on=form.completed_on.data
    )
    _entry, error = attempt(lambda: services.add_education_credit(circle, me, data))
    if error is not None:
        form_error(form, error)
        return _page(circle, me, credit_form=form, status=error.status)
    flash(_("Education credit recorded."), "success")
    return redirect(url_for("activity.index", circle_id=circle.id))


@bp.post("/circles/<int:circle_id>/education/<int:entry_id>/void")
@circle_page()
def void_credit(circle: Circle, me: Membership, entry_id: int):
    """Void one of my education credits with a reason."""
    services.credit_in(circle, me, entry_id)
    return _void(circle, me, f"credit-{entry_id}", services.void_education_credit, entry_id)


def _void(circle: Circle, me: Membership, target: str, action, entry_id: int):
    """Void an entry with the posted reason; a refusal shows on that row's form."""
    form = VoidForm(prefix=VOID_PREFIX)
    if not form.validate_on_submit():
        return _page(
            circle, me, void_form=form, void_target=target, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    reason = form.reason.data or ""
    _result, error = attempt(lambda: action(circle, me, entry_id, reason))
    if error is not None:
        form_error(form, error)
        return _page(circle, me, void_form=form, void_target=target, status=error.status)
    flash(_("The entry was voided."), "success")
    return redirect(_back(circle))
