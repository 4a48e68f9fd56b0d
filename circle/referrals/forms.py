"""Forms of the referral pages: several referrals at once, closed business, status, void.

The forms only parse input. Every rule (active members of this circle only, nobody
refers themselves, no future dates, hotness 1 to 5, amounts above zero) lives in
``circle.referrals.services`` and ``circle.core.money`` and comes back as a field error.
Selects therefore accept any posted value (``validate_choice=False``) and leave the
refusal to the service, which explains it in words.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from circle.circles.access import Listed
from circle.models import Membership
from circle.referrals.reading import Linkable
from circle.referrals.services import MAX_NOTE
from circle.web.forms import FlaskForm, Form

#: Rows the week page offers at first for giving referrals ("One more" adds a row).
GIVE_ROWS = 1
#: Prefixes of the forms on the week page (their fields and ids never collide).
GIVE_PREFIX = "give"
THANK_PREFIX = "thank"
EDIT_PREFIX = "edit"
VOID_PREFIX = "void"

#: Between a name and a profession, a number and its meaning (an en dash).
DASH = "\N{EN DASH}"
DATE_MESSAGE = _l("Please enter a date like 2025-03-26.")


def optional_int(value) -> int | None:
    """Coerce a posted select value to an int; blank or malformed becomes None."""
    if value is None or isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def optional_text(value) -> str | None:
    """A select value where blank means 'none chosen'."""
    value = (value or "").strip() if isinstance(value, str) else value
    return value or None


def member_label(member: Listed) -> str:
    """``Name - Profession`` with an en dash (just the name for an organiser without a seat)."""
    if member.profession is not None:
        return f"{member.name} {DASH} {member.profession}"
    return member.name


def member_choices(members: list[Listed], blank: str | None = None) -> list[SelectChoice]:
    """Members as select options, in the given order (the roster sorts by profession)."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [SelectChoice(m.id, member_label(m)) for m in members]


def receiver_choices(receivers: list[Listed]) -> list[SelectChoice]:
    """The receivers as a row's options, "(choose)" first (made once for all the rows of a
    form: 40 labels a row)."""
    return member_choices(receivers, blank=str(_l("(choose)")))


def kind_choices() -> list[SelectChoice]:
    """Inside (business with the receiver) or outside (a third party)."""
    return [
        SelectChoice("inside", _l("Inside: the receiver does business with me")),
        SelectChoice("outside", _l("Outside: a third party")),
    ]


def hotness_choices() -> list[SelectChoice]:
    """Hotness 1 to 5: how much the giver did for the contact."""
    meanings = [
        _l("contact shared"),
        _l("the contact expects a call"),
        _l("recommended personally"),
        _l("called ahead and introduced"),
        _l("in-person introduction"),
    ]
    return [SelectChoice(n, f"{n} {DASH} {m}") for n, m in enumerate(meanings, start=1)]


def sphere_choices() -> list[SelectChoice]:
    """The four referral spheres, optional."""
    return [
        SelectChoice("", _l("(not stated)")),
        SelectChoice("private", _l("Private (family, friends)")),
        SelectChoice("professional", _l("Professional (customers, suppliers, partners)")),
        SelectChoice("local", _l("Local / neighbourhood")),
        SelectChoice("interests", _l("Shared interests (clubs, hobbies)")),
    ]


def business_kind_choices() -> list[SelectChoice]:
    """New or repeat business."""
    return [
        SelectChoice("new", _l("New business")),
        SelectChoice("repeat", _l("Repeat business")),
    ]


def referral_choices(referrals: list[Linkable], date_label) -> list[SelectChoice]:
    """Received referrals to link closed business to: date, giver and prospect."""
    choices = [SelectChoice("", _l("(no referral)"))]
    for referral in referrals:
        parts = [date_label(referral.given_on)]
        if referral.giver_name:
            parts.append(referral.giver_name)
        if referral.prospect_name:
            parts.append(referral.prospect_name)
        choices.append(SelectChoice(referral.id, f" {DASH} ".join(parts)))
    return choices


def _note() -> TextAreaField:
    return TextAreaField(
        _l("Note"),
        validators=[Length(max=MAX_NOTE, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 1},
    )


class ReferralFields(Form):
    """The fields of one referral (a row of the week form, or the correction form)."""

    receiver_id = SelectField(
        _l("Receiver"), coerce=optional_int, validate_choice=False, default=""
    )
    given_on = DateField(_l("Date"), invalid_value_message=DATE_MESSAGE)
    kind = SelectField(_l("Inside or outside"), default="inside", validate_choice=False)
    hotness = SelectField(_l("Hotness"), coerce=optional_int, default=3, validate_choice=False)
    sphere = SelectField(_l("Sphere"), coerce=optional_text, default="", validate_choice=False)
    prospect_name = StringField(
        _l("Contact name"),
        validators=[Length(max=200, message=_l("At most %(max)d characters."))],
    )
    prospect_phone = StringField(
        _l("Contact phone"),
        validators=[Length(max=50, message=_l("At most %(max)d characters."))],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    prospect_email = StringField(
        _l("Contact e-mail"),
        validators=[Length(max=254, message=_l("At most %(max)d characters."))],
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    note = _note()

    def set_choices(self, receivers: list[SelectChoice], today: date) -> None:
        """Fill the selects and limit the date picker to today; ``receivers``: the
        receivers' options (``receiver_choices``, made once for all the rows of a form)."""
        self.receiver_id.choices = receivers
        self.kind.choices = kind_choices()
        self.hotness.choices = hotness_choices()
        self.sphere.choices = sphere_choices()
        self.given_on.render_kw = {"max": today.isoformat()}

    def is_blank(self) -> bool:
        """True when no receiver was chosen: the row is ignored."""
        return not (self.receiver_id.raw_data and self.receiver_id.raw_data[0].strip())


class ReferralRowForm(ReferralFields):
    """One row of the week form; a row without a receiver is skipped, not checked."""

    def validate(self, extra_validators=None) -> bool:
        """Check the row only when a receiver was chosen."""
        if self.is_blank():
            return True
        if self.given_on.data is None and not self.given_on.process_errors:
            self.given_on.process_errors.append(DATE_MESSAGE)
        return super().validate(extra_validators)


class GiveReferralsForm(FlaskForm):
    """Several referrals in one submit; admins may give in another member's name."""

    giver_id = SelectField(_l("Giver"), coerce=optional_int, validate_choice=False)
    rows = FieldList(FormField(ReferralRowForm), min_entries=GIVE_ROWS, max_entries=20)
    week = HiddenField()

    def set_choices(
        self, members: list[Listed], receivers: list[Listed], me: Membership, today: date
    ) -> None:
        """Fill the selects of every row; new rows are dated today."""
        self.giver_id.choices = member_choices(members)
        if self.giver_id.data is None:
            self.giver_id.data = me.id
        choices = receiver_choices(receivers)
        for row in self.rows:
            row.form.set_choices(choices, today)
            if not row.form.given_on.raw_data and row.form.given_on.data is None:
                row.form.given_on.data = today

    def filled_rows(self) -> list[tuple[int, ReferralRowForm]]:
        """The rows with a receiver, with their index on the page."""
        return [(i, row.form) for i, row in enumerate(self.rows) if not row.form.is_blank()]

    def can_add_row(self) -> bool:
        """True while the form holds fewer rows than it takes."""
        return len(self.rows) < self.rows.max_entries

    def add_row(self, receivers: list[Listed], today: date) -> None:
        """One more empty row, dated today (the no-script "one more")."""
        if self.can_add_row():
            row = self.rows.append_entry().form
            row.set_choices(receiver_choices(receivers), today)
            row.given_on.data = today


class CorrectReferralForm(FlaskForm, ReferralFields):
    """Correct a referral (the giver or an admin); admins may also change the giver."""

    giver_id = SelectField(_l("Giver"), coerce=optional_int, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        """A corrected referral needs a date."""
        if self.given_on.data is None and not self.given_on.process_errors:
            self.given_on.process_errors.append(DATE_MESSAGE)
        return super().validate(extra_validators)


class BusinessFields(Form):
    """Closed business: who is thanked, how much, when, new or repeat, which referral."""

    giver_id = SelectField(
        _l("Thank (the giver)"),
        coerce=optional_int,
        validate_choice=False,
        default="",
        validators=[InputRequired(message=_l("Choose the member who gave you the business."))],
    )
    amount = StringField(
        _l("Amount (without VAT)"),
        validators=[InputRequired(message=_l("Please enter an amount."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    closed_on = DateField(_l("Date"), invalid_value_message=DATE_MESSAGE)
    kind = SelectField(_l("New or repeat"), default="new", validate_choice=False)
    referral_id = SelectField(
        _l("For referral"), coerce=optional_int, validate_choice=False, default=""
    )
    note = _note()

    def set_choices(self, givers: list[Listed], referrals: list[SelectChoice], today: date) -> None:
        """Fill the selects; the date defaults to today."""
        self.giver_id.choices = member_choices(givers, blank=str(_l("(choose)")))
        self.kind.choices = business_kind_choices()
        self.referral_id.choices = referrals
        self.closed_on.render_kw = {"max": today.isoformat()}
        if not self.closed_on.raw_data and self.closed_on.data is None:
            self.closed_on.data = today

    def validate(self, extra_validators=None) -> bool:
        """Closed business needs a date."""
        if self.closed_on.data is None and not self.closed_on.process_errors:
            self.closed_on.process_errors.append(DATE_MESSAGE)
        return super().validate(extra_validators)


class ThankForm(FlaskForm, BusinessFields):
    """Report closed business: thank the giver (the week page)."""

    week = HiddenField()


class CorrectBusinessForm(FlaskForm, BusinessFields):
    """Correct closed business (the reporter or an admin; admins may change the reporter)."""

    reporter_id = SelectField(_l("Reported by"), coerce=optional_int, validate_choice=False)


class StatusForm(FlaskForm):
    """Move a received referral on: contacted, won or lost (one button each)."""

    status = HiddenField()
    next = HiddenField()


class VoidForm(FlaskForm):
    """Void an entry with a reason; it then counts nowhere."""

    reason = StringField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Please give a reason.")),
            Length(max=500, message=_l("At most %(max)d characters.")),
        ],
    )


class LedgerForm(Form):
    """The ledger's period and grouping (a GET form, no CSRF needed)."""

    start = DateField(
        _l("From"), name="from", validators=[Optional()], invalid_value_message=DATE_MESSAGE
    )
    end = DateField(
        _l("To"), name="to", validators=[Optional()], invalid_value_message=DATE_MESSAGE
    )
    by = SelectField(
        _l("Per"),
        choices=[SelectChoice("month", _l("month")), SelectChoice("week", _l("week"))],
        default="month",
        validate_choice=False,
    )
