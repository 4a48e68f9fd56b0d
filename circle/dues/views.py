"""HTML pages of the dues: my status, the treasurer's ledger, the CSV and the pay-off.

``/circles/<id>/dues`` shows a member's own status, payments and the plan, with a
"Pay online" button when Stripe is configured; ``/dues/return`` is where Stripe
Checkout sends the member back (it only says "processing": the webhook marks paid).
``/dues/admin`` is the treasurer's page (plan form, dues list with filters, manual
payment form), ``/dues.csv`` its export, ``/dues/payoff`` whether membership pays off.

Views stay thin: the rules are in ``circle.dues.services``, the sums in
``circle.dues.payoff``; Stripe calls in ``circle.dues.checkout``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from http import HTTPStatus

from babel.numbers import get_currency_name
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from circle import CONTENT_SECURITY_POLICY
from circle.balance.forms import PeriodForm
from circle.balance.periods import period_for
from circle.core.csv_export import csv_download, csv_text
from circle.core.errors import DomainError, NotFound
from circle.core.formats import currency_text
from circle.core.ids import id_arg
from circle.core.money import parse_amount, to_decimal
from circle.core.periods import Period
from circle.core.weeks import today_for
from circle.dues import checkout as stripe_checkout
from circle.dues import payoff as payoff_queries
from circle.dues import services
from circle.dues.admin_forms import admin_forms, member_choices
from circle.dues.forms import ManualPaymentForm, PlanForm
from circle.extensions import Labels
from circle.mail.send import external_url
from circle.models import Circle, Membership
from circle.roles.permissions import can, sees_amounts
from circle.web.boundary import attempt, circle_page, form_error, ui_locale
from circle.web.i18n import format_date
from circle.web.kept import page_with_body

bp = Blueprint("dues", __name__)

#: Where the member page's forms continue: Stripe Checkout and the Billing Portal (303).
STRIPE_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")
#: The filters of the dues list.
FILTERS = ("all", "paid", "grace", "overdue")
CSV_COLUMNS = (
    "member_id",
    "member",
    "status",
    "paid_through",
    "last_payment_on",
    "last_payment_amount",
    "total_paid",
    "currency",
)


def online_payment_configured() -> bool:
    """Whether the Stripe API key is set (the Checkout module may still be missing)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


_STATES = Labels(
    lambda: {
        "paid": _("paid"),
        "grace": _("grace period"),
        "overdue": _("overdue"),
        "no_plan": _("no dues"),
    }
)


def state_label(state: str) -> str:
    """A dues state in words."""
    return _STATES(state)


def interval_label(interval: str) -> str:
    """``month``/``year`` in words."""
    return _("per month") if interval == "month" else _("per year")


def ratio_text(ratio: Fraction | None, currency: str) -> str:
    """ "Each euro of dues brought 12,40 € of revenue" (empty when no dues were paid)."""
    if ratio is None:
        return ""
    value = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return _(
        "Each %(unit)s of dues brought %(amount)s of revenue.",
        unit=get_currency_name(currency, count=1, locale=ui_locale()),
        amount=currency_text(value, currency, ui_locale()),
    )


@bp.app_template_global()
def dues_state_label(state: str) -> str:
    """Template helper: a dues state in words."""
    return state_label(state)


# --- member view -----------------------------------------------------------------------


def _render_member(circle: Circle, me: Membership, processing: bool = False):
    """The member's dues page. Its body is kept in memory (``circle.web.kept``) under the
    circle's ``data_stamp`` (plan, payments, subscription), me, the day, the language,
    whether a payment is being processed and whether online payment is configured."""
    today = today_for(circle)

    def body() -> dict:
        """What my dues page's body shows."""
        plan = services.current_plan(circle)
        last = services.paid_through(circle, [me.id]).get(me.id)
        status = services.status_of(plan, me, last, today)
        subscription = services.subscription_of(circle, me.id)
        return {
            "subscription": subscription,
            "running": subscription is not None
            and subscription.status in services.RUNNING_SUBSCRIPTION,
            "circle": circle,
            "me": me,
            "plan": plan,
            "status": status,
            "payments": services.payments_of(circle, me.id),
            "configured": configured,
            "processing": processing,
            "interval_label": interval_label,
            "grace_end": (
                status.due_since + timedelta(days=plan.grace_days)
                if plan is not None and status.due_since is not None
                else None
            ),
            "format_date": format_date,
        }

    configured = online_payment_configured()
    asked = (me.id, today, processing, configured)
    response = make_response(page_with_body("dues/member.html", circle, asked, body))
    # Browsers apply form-action to the redirect after a POST: the Pay online and Portal
    # buttons must be allowed to continue to Stripe's pages.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(STRIPE_PAGES)
    )
    return response


@bp.get("/circles/<int:circle_id>/dues")
@circle_page()
def member(circle: Circle, me: Membership):
    """My dues: status, payments, the plan and the "Pay online" button."""
    return _render_member(circle, me)


@bp.get("/circles/<int:circle_id>/dues/return")
@circle_page()
def checkout_return(circle: Circle, me: Membership):
    """Back from Stripe Checkout: "processing" until the webhook confirms. Marks nothing."""
    return _render_member(circle, me, processing=bool(request.args.get("session_id")))


def _online(circle: Circle, me: Membership, action: str):
    """Run a Stripe call (``start_checkout`` or ``portal_url``) and redirect (303) to Stripe."""
    back = url_for("dues.member", circle_id=circle.id)
    if not online_payment_configured():
        flash(_("Online payment is not configured."), "error")
        return redirect(back)
    page = external_url("dues.member", circle_id=circle.id)

    def stripe_page() -> str:
        if action == "checkout":
            # Stripe fills in {CHECKOUT_SESSION_ID}; the braces must stay unencoded.
            success = (
                external_url("dues.checkout_return", circle_id=circle.id)
                + "?session_id={CHECKOUT_SESSION_ID}"
            )
            return stripe_checkout.start_checkout(circle, me, success_url=success, cancel_url=page)
        return stripe_checkout.portal_url(circle, me, return_url=page)

    try:
        url, error = attempt(stripe_page)
    except NotFound as missing:  # no online payment yet: said on the page, not a 404
        url, error = None, missing
    if error is not None:
        flash(error.message, "error")
        return redirect(back)
    return redirect(url, code=303)


@bp.post("/circles/<int:circle_id>/dues/checkout")
@circle_page()
def checkout(circle: Circle, me: Membership):
    """Start Stripe Checkout for my dues (303 to Stripe's page)."""
    return _online(circle, me, "checkout")


@bp.post("/circles/<int:circle_id>/dues/portal")
@circle_page()
def portal(circle: Circle, me: Membership):
    """Open the Stripe Billing Portal (payment method, cancel)."""
    return _online(circle, me, "portal")


# --- admin view -------------------------------------------------------------------------


def _render_admin(
    circle: Circle,
    me: Membership,
    plan_form: PlanForm | None = None,
    payment_form: ManualPaymentForm | None = None,
    status: int = 200,
):
    """The treasurer's page. Without sent forms, its body is kept in memory
    (``circle.web.kept``) under the circle's ``data_stamp`` (plan, members, payments), the
    day (what is due moves on with it), the language, the filter and member asked for and
    whether online payment is configured."""
    chosen = request.args.get("status", "all")
    if chosen not in FILTERS:
        chosen = "all"
    asked_member = request.args.get("member", type=id_arg)
    today = today_for(circle)

    def body() -> dict:
        """What the page's body shows: the dues list, its counts and the two forms."""
        plan, rows = services.dues_overview(circle, today)
        shown = [row for row in rows if chosen == "all" or row[1].state == chosen]
        forms = admin_forms(circle, plan, rows, asked_member, plan_form, payment_form)
        return {
            "circle": circle,
            "me": me,
            "plan": plan,
            "rows": shown,
            "chosen": chosen,
            "filters": FILTERS,
            "counts": {
                state: sum(1 for _m, s in rows if s.state == state) for state in FILTERS[1:]
            },
            "plan_form": forms[0],
            "payment_form": forms[1],
            "interval_label": interval_label,
            "configured": configured,
            "format_date": format_date,
        }

    fresh = plan_form is None and payment_form is None
    configured = online_payment_configured()
    asked = (today, chosen, asked_member, configured) if fresh else None
    page = page_with_body("dues/admin.html", circle, asked, body)
    return page, status


@bp.get("/circles/<int:circle_id>/dues/admin")
@circle_page("manage_dues")
def admin(circle: Circle, me: Membership):
    """The dues list with filters, the plan form and the manual payment form (treasurer)."""
    return _render_admin(circle, me)


@bp.post("/circles/<int:circle_id>/dues/plan")
@circle_page("manage_dues")
def set_plan(circle: Circle, me: Membership):
    """Put a new dues plan in force (treasurer)."""
    form = PlanForm()
    if not form.validate():
        return _render_admin(circle, me, plan_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)

    def save() -> None:
        amount = parse_amount(form.amount.data, circle.currency, ui_locale(), field="amount")
        fee_text = (form.joining_fee.data or "").strip()
        fee = (
            parse_amount(fee_text, circle.currency, ui_locale(), field="joining_fee")
            if fee_text and fee_text.strip("0,.") != ""
            else 0
        )
        services.set_plan(
            circle,
            me,
            services.PlanInput(
                amount_minor=amount,
                interval=form.interval.data,
                joining_fee_minor=fee,
                grace_days=form.grace_days.data,
                stripe_price_id=(form.stripe_price_id.data or "").strip() or None,
            ),
        )

    _saved, error = attempt(save)
    if error is not None:
        form_error(form, error)
        return _render_admin(circle, me, plan_form=form, status=error.status)
    flash(_("The dues plan is saved."), "success")
    return redirect(url_for("dues.admin", circle_id=circle.id))


@bp.post("/circles/<int:circle_id>/dues/payments")
@circle_page("manage_dues")
def record_payment(circle: Circle, me: Membership):
    """Record a manual payment (bank transfer, cash) for a member (treasurer)."""
    form = ManualPaymentForm()
    member_choices(form, services.dues_list(circle))
    if not form.validate():
        return _render_admin(circle, me, payment_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    _payment, error = attempt(
        lambda: services.record_manual_payment(
            circle,
            me,
            form.member.data,
            parse_amount(form.amount.data, circle.currency, ui_locale(), field="amount"),
            form.period_start.data,
            form.period_end.data,
            form.paid_on.data,
            reference=form.reference.data or "",
            note=form.note.data or "",
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_admin(circle, me, payment_form=form, status=error.status)
    flash(_("The payment is recorded."), "success")
    return redirect(url_for("dues.admin", circle_id=circle.id))


@bp.get("/circles/<int:circle_id>/dues.csv")
@circle_page("manage_dues")
def export_csv(circle: Circle, me: Membership):
    """The dues list as CSV (treasurer): status, paid through, last payment, total paid."""
    rows = services.dues_list(circle)
    summaries = payoff_queries.payment_summaries(circle)
    lines = []
    for member_row, status in rows:
        summary = summaries.get(member_row.id)
        lines.append(
            [
                member_row.id,
                member_row.user.name,
                status.state,
                status.paid_through.isoformat() if status.paid_through else "",
                summary.last_paid_on.isoformat() if summary else "",
                to_decimal(summary.last_amount, circle.currency) if summary else None,
                to_decimal(summary.total if summary else 0, circle.currency),
                circle.currency,
            ]
        )
    return csv_download(csv_text(CSV_COLUMNS, lines), f"dues-{circle.id}.csv")


# --- does membership pay off? ----------------------------------------------------------


@bp.get("/circles/<int:circle_id>/dues/payoff")
@circle_page()
def payoff(circle: Circle, me: Membership):
    """Dues paid vs referral revenue received in a period: mine, or everyone's (for the
    treasurer who may also see other members' amounts: ``manage_dues`` and ``sees_amounts``)."""
    everyone = can(me, "manage_dues") and sees_amounts(me)
    form = PeriodForm(request.args)
    period: Period | None = None
    status = 200
    if form.validate():
        try:
            period = period_for(circle, form.kind(), form.start.data, form.end.data)
        except DomainError as error:
            target = {"from": form.start, "to": form.end}.get(error.field or "", form.period)
            target.errors = [*target.errors, error.message]
    if period is None:
        status = HTTPStatus.UNPROCESSABLE_ENTITY
        rows = []
    else:
        form.period.data, form.start.data, form.end.data = period.kind, period.start, period.end
        rows = payoff_queries.payoff(circle, period, None if everyone else me)
    total_dues = sum(r.dues for r in rows)
    total_revenue = sum(r.revenue for r in rows)
    total = payoff_queries.Payoff(me, total_dues, total_revenue)
    return (
        render_template(
            "dues/payoff.html",
            circle=circle,
            me=me,
            form=form,
            period=period,
            rows=rows,
            total=total,
            ratio_text=ratio_text,
            format_date=format_date,
            everyone=everyone,
        ),
        status,
    )
