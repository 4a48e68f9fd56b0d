"""The quick slip and quick thank-you pages: one short form that fits a phone's screen.

- ``referrals.quick_slip`` (``/circles/<id>/slips/new``): one compact row per referral I
  give (receiver with a type-ahead filter, inside/outside, hotness, a one-line note; the
  contact, date and sphere folded away). "One more" adds a row: scripting clones the row
  in the browser; without it the button sends the form, which comes back with one more
  row, keeping what was typed and saving nothing. All rows are saved or none
  (``services.give_referrals``); a refusal is shown on its row (422). ``?to=<member>``
  chooses the first receiver (the profile's "give a referral" button).
- ``referrals.quick_thanks`` (``/circles/<id>/thanks/new``): closed business I earned
  through a member, thanking the giver (``services.report_closed_business``).

Both start with my last choices (``circle.referrals.quick``) and come back to themselves
after a save, with a message and a link to the week, so the next slip follows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from circle.circles.access import Listed, roster_names
from circle.core.money import format_money, parse_amount
from circle.core.weeks import today_for
from circle.models import Circle, ClosedBusiness, Membership
from circle.referrals import reading, services
from circle.referrals.forms import GIVE_PREFIX, THANK_PREFIX, referral_choices
from circle.referrals.quick import (
    MAX_ROWS,
    QuickSlipForm,
    QuickThankForm,
    last_business_kind,
    last_referral_choices,
)
from circle.referrals.views.common import (
    LINK_DAYS,
    MORE,
    add_error,
    bp,
    business_input,
    day_label,
    flash_moved,
    party_name,
    referral_input,
    row_error,
)
from circle.web.boundary import attempt, circle_page, form_error, ui_locale
from circle.web.kept import page_with_body


def _others(circle: Circle, me: Membership) -> list[Listed]:
    """The circle's active members but me (whom I give to and thank)."""
    return [m for m in roster_names(circle.id) if m.id != me.id]


# --- quick slip ----------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/slips/new", methods=["GET", "POST"])
@circle_page()
def quick_slip(circle: Circle, me: Membership):
    """Give one or more referrals from one short form (see the module's docstring)."""
    today = today_for(circle)
    if request.method != "POST":
        asked = request.args.get("to")

        def blank() -> QuickSlipForm:
            """The form with my last choices and the receiver asked for."""
            receivers = _others(circle, me)
            form = QuickSlipForm(prefix=GIVE_PREFIX, formdata=None)
            form.set_choices(receivers, today)
            form.remember(last_referral_choices(circle, me))
            form.preselect(asked, receivers)
            return form

        return _slip_page(circle, blank, (me.id, today, asked))
    receivers = _others(circle, me)
    form = QuickSlipForm(prefix=GIVE_PREFIX)
    form.set_choices(receivers, today)
    if MORE in request.form:
        form.add_row(receivers, today)
        return _slip_page(circle, lambda: form)
    unprocessable = HTTPStatus.UNPROCESSABLE_ENTITY
    if not form.validate_on_submit():
        return _slip_page(circle, lambda: form, None, unprocessable)
    rows = form.filled_rows()
    if not rows:
        add_error(form.rows[0].form.receiver_id, _("Choose a receiver for at least one referral."))
        return _slip_page(circle, lambda: form, None, unprocessable)
    items = [referral_input(row) for _index, row in rows]
    given, error = attempt(lambda: services.give_referrals(circle, me, items))
    if error is not None:
        row_error(form, rows, error)
        return _slip_page(circle, lambda: form, None, error.status)
    flash(
        ngettext("%(num)s referral given.", "%(num)s referrals given.", len(given)),
        "success",
    )
    flash_moved([r.given_on for r in given], [item.given_on for item in items])
    return redirect(url_for("referrals.quick_slip", circle_id=circle.id))


def _slip_page(
    circle: Circle,
    form: Callable[[], QuickSlipForm],
    asked: tuple | None = None,
    status: int = HTTPStatus.OK,
):
    """The quick slip page with the form ``form()`` makes (as sent, when it was); a blank
    form's body kept in memory with ``asked`` (``circle.web.kept``: me, the day, the
    receiver asked for; the circle's data_stamp holds my last choices and the members)."""
    page = page_with_body(
        "referrals/quick_slip.html",
        circle,
        asked,
        lambda: {"circle": circle, "form": form(), "max_rows": MAX_ROWS},
    )
    return page, status


# --- quick thank-you ---------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/thanks/new", methods=["GET", "POST"])
@circle_page()
def quick_thanks(circle: Circle, me: Membership):
    """Thank a member for closed business from one short form: the amount (typed in my
    language's notation) is credited to the giver; new or repeat starts as last time."""
    today = today_for(circle)
    since = today - timedelta(days=LINK_DAYS)

    def choices() -> tuple[list, list[Listed]]:
        """The referrals I received to link to, and the members to thank."""
        received = reading.received_for_linking(circle, me, since)
        return referral_choices(received, day_label), _others(circle, me)

    if request.method != "POST":

        def blank() -> QuickThankForm:
            """The form with my last kind of business."""
            linkable, givers = choices()
            form = QuickThankForm(prefix=THANK_PREFIX, formdata=None)
            form.set_choices(givers, linkable, today)
            form.kind.data = last_business_kind(circle, me)
            return form

        return _thank_page(circle, blank, (me.id, today))
    linkable, givers = choices()
    form = QuickThankForm(prefix=THANK_PREFIX)
    form.set_choices(givers, linkable, today)
    if not form.validate_on_submit():
        return _thank_page(circle, lambda: form, None, HTTPStatus.UNPROCESSABLE_ENTITY)

    def report() -> ClosedBusiness:
        amount = parse_amount(form.amount.data, circle.currency, ui_locale())
        return services.report_closed_business(circle, me, business_input(form, amount))

    business, error = attempt(report)
    if error is not None:
        form_error(form, error)
        return _thank_page(circle, lambda: form, None, error.status)
    flash(
        _(
            "Thank you noted: %(amount)s credited to %(name)s.",
            amount=format_money(business.amount_minor, business.currency, ui_locale()),
            name=party_name(business.thanked, business.thanked_external),
        ),
        "success",
    )
    flash_moved([business.closed_on], [form.closed_on.data])
    return redirect(url_for("referrals.quick_thanks", circle_id=circle.id))


def _thank_page(
    circle: Circle,
    form: Callable[[], QuickThankForm],
    asked: tuple | None = None,
    status: int = HTTPStatus.OK,
):
    """The quick thank-you page with the form ``form()`` makes (as sent, when it was); a
    blank form's body kept in memory with ``asked`` (``circle.web.kept``: me, the day)."""
    page = page_with_body(
        "referrals/quick_thanks.html",
        circle,
        asked,
        lambda: {"circle": circle, "form": form()},
    )
    return page, status
