"""Slips in seconds on a phone: the short forms of the quick slip and quick thank-you
pages, and the last choices they remember.

The forms reuse the fields of the week page's forms (``ReferralRowForm`` and
``BusinessFields``); only the presentation differs: inside/outside and new/repeat are a
radio pair with short labels, the note is one line, the receiver's select carries the
type-ahead filter of static/js/app.js. Every rule stays in ``circle.referrals.services``.

"The last choices are remembered" on the server, not in the browser, so it works on every
device and without scripting: a new slip starts with the inside/outside, hotness and
sphere of my most recent referral given in this circle that is not voided, and a new
thank-you with the new/repeat of my most recent closed business reported there (one
query each, see ``last_referral_choices`` and ``last_business_kind``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from wtforms import FieldList, FormField, RadioField, SelectChoice, StringField
from wtforms.validators import Length

from circle.circles.access import Listed
from circle.core.ids import id_arg
from circle.extensions import db
from circle.models import Circle, ClosedBusiness, Membership, Referral
from circle.referrals.forms import BusinessFields, ReferralRowForm, receiver_choices
from circle.referrals.services import MAX_NOTE
from circle.web.forms import FlaskForm

#: The most rows one quick submit takes (more are not even read).
MAX_ROWS = 20
#: What the type-ahead filter of a member select is called (its label and placeholder).
FIND_MEMBER = _l("Find by name or profession")


@dataclass(frozen=True)
class SlipChoices:
    """The choices a new slip starts with."""

    kind: str = "inside"
    hotness: int = 3
    sphere: str | None = None


def last_referral_choices(circle: Circle, me: Membership) -> SlipChoices:
    """Inside/outside, hotness and sphere of my most recent live referral given in this
    circle (the defaults when there is none): one query."""
    values = {"last_circle": circle.id, "last_member": me.id}
    row = db.session.execute(_last_referral_statement(), values).first()
    if row is None:
        return SlipChoices()
    return SlipChoices(kind=row.kind, hotness=row.hotness or 3, sphere=row.sphere)


def last_business_kind(circle: Circle, me: Membership) -> str:
    """New or repeat, as in my most recent live closed business reported in this circle
    ("new" when there is none): one query."""
    values = {"last_circle": circle.id, "last_member": me.id}
    kind = db.session.execute(_last_business_statement(), values).scalar_one_or_none()
    return kind or "new"


@cache
def _last_referral_statement() -> Select:
    """The statement of ``last_referral_choices`` (built once per process)."""
    return (
        select(Referral.kind, Referral.hotness, Referral.sphere)
        .where(
            Referral.circle_id == bindparam("last_circle"),
            Referral.giver_id == bindparam("last_member"),
            Referral.voided_at.is_(None),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )


@cache
def _last_business_statement() -> Select:
    """The statement of ``last_business_kind`` (built once per process)."""
    return (
        select(ClosedBusiness.kind)
        .where(
            ClosedBusiness.circle_id == bindparam("last_circle"),
            ClosedBusiness.reporter_id == bindparam("last_member"),
            ClosedBusiness.voided_at.is_(None),
        )
        .order_by(ClosedBusiness.id.desc())
        .limit(1)
    )


def short_kind_choices() -> list[SelectChoice]:
    """Inside or outside, short enough for a radio pair on a phone."""
    return [SelectChoice("inside", _l("Inside")), SelectChoice("outside", _l("Outside"))]


def short_business_kind_choices() -> list[SelectChoice]:
    """New or repeat business, short enough for a radio pair on a phone."""
    return [SelectChoice("new", _l("New")), SelectChoice("repeat", _l("Repeat"))]


def _one_line_note() -> StringField:
    return StringField(
        _l("Note"), validators=[Length(max=MAX_NOTE, message=_l("At most %(max)d characters."))]
    )


def _type_ahead(field) -> None:
    """Mark a member select for the type-ahead filter (its value names the filter)."""
    field.render_kw = {**(field.render_kw or {}), "data-typeahead": str(FIND_MEMBER)}


class QuickRowForm(ReferralRowForm):
    """One row of the quick slip form: the week row's fields, inside/outside as radios and
    a one-line note. A row without a receiver is skipped, as on the week page."""

    kind = RadioField(_l("Inside or outside"), default="inside", validate_choice=False)
    note = _one_line_note()

    def set_choices(self, receivers: list[SelectChoice], today: date) -> None:
        """The week row's choices, the short inside/outside labels and the type-ahead."""
        super().set_choices(receivers, today)
        self.kind.choices = short_kind_choices()
        _type_ahead(self.receiver_id)
        if not self.given_on.raw_data and self.given_on.data is None:
            self.given_on.data = today

    def remember(self, choices: SlipChoices) -> None:
        """Start with these choices (a new row)."""
        self.kind.data = choices.kind
        self.hotness.data = choices.hotness
        self.sphere.data = choices.sphere

    def choices(self) -> SlipChoices:
        """The choices of this row, for the next one (unknown values are not passed on)."""
        kind = self.kind.data if self.kind.data in ("inside", "outside") else "inside"
        hotness = self.hotness.data if self.hotness.data in range(1, 6) else 3
        return SlipChoices(kind=kind, hotness=hotness, sphere=self.sphere.data)

    def has_details(self) -> bool:
        """True when the folded part (contact, date, sphere) holds input or an error."""
        folded = (self.prospect_name, self.prospect_phone, self.prospect_email)
        fields = (*folded, self.given_on, self.sphere)
        return any(f.data for f in folded) or any(f.errors for f in fields)


class QuickSlipForm(FlaskForm):
    """One or more referrals I give, one compact row each; saved all or nothing."""

    rows = FieldList(FormField(QuickRowForm), min_entries=1, max_entries=MAX_ROWS)

    def set_choices(self, receivers: list[Listed], today: date) -> None:
        """Fill the selects of every row; new rows are dated today."""
        choices = receiver_choices(receivers)
        for row in self.rows:
            row.form.set_choices(choices, today)

    def remember(self, choices: SlipChoices) -> None:
        """Start every row with the remembered choices."""
        for row in self.rows:
            row.form.remember(choices)

    def can_add_row(self) -> bool:
        """True while the form holds fewer than ``MAX_ROWS`` rows."""
        return len(self.rows) < MAX_ROWS

    def add_row(self, receivers: list[Listed], today: date) -> None:
        """One more empty row (the no-script "one more"), with the last row's choices."""
        if not self.can_add_row():
            return
        last = self.rows[-1].form.choices()
        row = self.rows.append_entry().form
        row.set_choices(receiver_choices(receivers), today)
        row.remember(last)

    def filled_rows(self) -> list[tuple[int, QuickRowForm]]:
        """The rows with a receiver, with their index on the page."""
        return [(i, row.form) for i, row in enumerate(self.rows) if not row.form.is_blank()]

    def preselect(self, raw: str | None, receivers: list[Listed]) -> None:
        """``?to=<member>`` chooses the first row's receiver when that member may receive
        from me; anything else chooses nobody."""
        try:
            wanted = id_arg(raw or "")
        except ValueError:
            return
        if any(m.id == wanted for m in receivers):
            self.rows[0].form.receiver_id.data = wanted


class QuickThankForm(FlaskForm, BusinessFields):
    """Thank a member for closed business: the week form's fields, new/repeat as radios,
    a one-line note and the giver's type-ahead."""

    kind = RadioField(_l("New or repeat"), default="new", validate_choice=False)
    note = _one_line_note()

    def set_choices(self, givers: list[Listed], referrals: list[SelectChoice], today: date) -> None:
        """The week form's choices, the short new/repeat labels and the type-ahead."""
        super().set_choices(givers, referrals, today)
        self.kind.choices = short_business_kind_choices()
        _type_ahead(self.giver_id)

    def has_details(self) -> bool:
        """True when the folded part (date, referral, note) holds input or an error."""
        folded = (self.closed_on, self.referral_id, self.note)
        return bool(self.referral_id.data or self.note.data) or any(f.errors for f in folded)
