"""What the referral pages share: the blueprint, dates and names as shown, amounts."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, flash, url_for
from flask_babel import gettext as _

from circle.core.checks import EARLIEST
from circle.core.errors import DomainError
from circle.core.formats import decimal_text, skeleton_text
from circle.core.money import minor_units, to_decimal
from circle.core.weeks import today_for, week_start
from circle.models import Circle, Membership
from circle.referrals import reading, services
from circle.referrals.forms import (
    business_kind_choices,
    hotness_choices,
    kind_choices,
    sphere_choices,
)
from circle.referrals.services import BusinessInput, ReferralInput
from circle.web.boundary import ui_locale
from circle.web.i18n import format_date

bp = Blueprint("referrals", __name__)

#: The longest period the ledger shows at once.
MAX_LEDGER_DAYS = 3660
#: How far back the closed-business form offers referrals to link to.
LINK_DAYS = 366
#: The name of the no-script "one more" submit button (a form with rows of slips).
MORE = "more"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- helpers -----------------------------------------------------------------------


def parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` date, or None when the text is not one."""
    if not text or not _ISO_DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def week_url(circle: Circle, start: date) -> str:
    """The URL of the week that starts on ``start`` (the plain URL for the current week)."""
    if start == week_start(circle, today_for(circle)):
        return url_for("referrals.week", circle_id=circle.id)
    return url_for("referrals.week", circle_id=circle.id, day=start.isoformat())


def shown_week(circle: Circle, text: str | None) -> date:
    """The start of the week a form was sent from (the current week when unknown)."""
    current = week_start(circle, today_for(circle))
    day = parse_day(text)
    if day is None or day < EARLIEST:
        return current
    return min(week_start(circle, day), current)


def flash_moved(saved: list[date], entered: list[date]) -> None:
    """Say so when a locked week moved entries to the first day of the next open week."""
    for day in sorted({s for s, e in zip(saved, entered, strict=True) if s != e}):
        flash(
            _(
                "That week's report is already locked: the entry now counts in the week "
                "starting %(day)s.",
                day=format_date(day, "medium"),
            ),
            "info",
        )


def row_error(form, rows, error: DomainError) -> None:
    """Show a refusal of several referrals on the row and field it names
    (``"<index>.<field>"`` among the sent ``rows``, or ``"<field>"`` when one row was sent);
    an admin's giver field, or else above the form."""
    index_text, _dot, name = (error.field or "").rpartition(".")
    row = None
    if index_text.isdigit() and int(index_text) < len(rows):
        row = rows[int(index_text)][1]
    elif not index_text and len(rows) == 1:
        row = rows[0][1]
    giver = getattr(form, "giver_id", None)
    if name == "giver_id" and hasattr(giver, "choices"):
        add_error(giver, error.message)
    elif row is not None and name in row:
        add_error(row[name], error.message)
    else:
        form.form_errors.append(error.message)


def add_error(form_field, message: str) -> None:
    """Append a message to a field's errors (also for fields that were never validated)."""
    form_field.errors = [*form_field.errors, message]


def label_of(choices, value) -> str:
    """The label of a select choice by value."""
    for choice in choices:
        if choice.value == value:
            return str(choice.label)
    return "" if value is None else str(value)


def day_label(day: date) -> str:
    """A day as ``Wed, Mar 26`` / ``Mi., 26. März``."""
    return skeleton_text("MMMEd", day, ui_locale())


def party_name(member: Membership | None, external) -> str:
    """The name of a slip's party: a member, an outside party, or unknown."""
    if member is not None:
        return member.user.name
    if external is not None:
        return external.name
    return _("unknown")


def amount_text(amount_minor: int, currency: str) -> str:
    """Minor units as the user types them (``1.234,50`` in German), for the edit form."""
    digits = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return decimal_text(to_decimal(amount_minor, currency), pattern, ui_locale())


@bp.context_processor
def _template_helpers() -> dict:
    """Formatting helpers for the referral templates."""
    return {
        "day_label": day_label,
        "party_name": party_name,
        "status_label": reading.status_label,
        "kind_label": lambda v: label_of(kind_choices(), v),
        "hotness_label": lambda v: label_of(hotness_choices(), v),
        "sphere_label": lambda v: label_of(sphere_choices(), v) if v else "",
        "business_kind_label": lambda v: label_of(business_kind_choices(), v),
        "status_moves": services.STATUS_MOVES,
    }


def business_input(form, amount: int, reporter_id: int | None = None) -> BusinessInput:
    """The parsed closed-business form as the service's input."""
    return BusinessInput(
        thanked_id=form.giver_id.data,
        amount_minor=amount,
        closed_on=form.closed_on.data,
        kind=form.kind.data,
        referral_id=form.referral_id.data,
        note=form.note.data or "",
        reporter_id=reporter_id,
    )


def referral_input(fields, giver_id: int | None = None) -> ReferralInput:
    """The referral a form holds (the correction form, or one row of the week's form):
    the one mapping from form fields to ``ReferralInput``; empty texts become ""."""
    return ReferralInput(
        receiver_id=fields.receiver_id.data,
        given_on=fields.given_on.data,
        kind=fields.kind.data,
        hotness=fields.hotness.data,
        sphere=fields.sphere.data,
        prospect_name=fields.prospect_name.data or "",
        prospect_phone=fields.prospect_phone.data or "",
        prospect_email=fields.prospect_email.data or "",
        note=fields.note.data or "",
        giver_id=giver_id,
    )
