"""Forms of the membership pages (admins fill and change seats; users accept invitations).

The manage page shows several forms at once, so each is created with its own
``prefix`` (``add-email``, ``invite-email``, ``m12-profession`` ...) and an error lands
on the form that was sent.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from circle.circles.forms import ApplyForm
from circle.core.checks import MAX_REASON
from circle.membership.applications import MAX_ANSWER, QUESTIONS
from circle.membership.professions import MAX_PROFESSION_LENGTH
from circle.web.forms import FlaskForm

#: Prefixes of the forms on the manage page.
ADD_PREFIX = "add"
INVITE_PREFIX = "invite"


#: Stands for the member's id in the change-profession form rendered once for every row.
ROW_SLOT = "{member_id}"


def profession_prefix(member_id: int | str) -> str:
    """The prefix of the change-profession form in a member's row (``ROW_SLOT``: the form
    the manage page renders once and fills in for each row)."""
    return f"m{member_id}"


class PersonForm(FlaskForm):
    """E-mail, name and profession of a person to seat directly or to invite."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Please enter an e-mail address.")), Email(), Length(max=254)],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=120)]
    )
    profession = StringField(
        _l("Profession"),
        validators=[
            DataRequired(_l("Please enter a profession.")),
            Length(max=MAX_PROFESSION_LENGTH),
        ],
    )


class AddMemberForm(PersonForm):
    """Seat a person at once (admins)."""

    submit = SubmitField(_l("Add member"))


class InviteForm(PersonForm):
    """Invite a person by e-mail (admins)."""

    submit = SubmitField(_l("Send invitation"))


class ProfessionForm(FlaskForm):
    """Move a member to another profession (one small form per row)."""

    profession = StringField(
        _l("New profession"),
        validators=[
            DataRequired(_l("Please enter a profession.")),
            Length(max=MAX_PROFESSION_LENGTH),
        ],
    )
    submit = SubmitField(_l("Change"))


class RoleForm(FlaskForm):
    """Appoint an admin or make an admin a plain member again."""

    role = HiddenField(validators=[AnyOf(("member", "admin"), message=_l("Unknown role."))])


class ActionForm(FlaskForm):
    """A one-button action (remove, approve, accept ...): only the CSRF token."""


def _answer_field(key: str) -> TextAreaField:
    """An optional, length-limited answer to one of the application questions."""
    return TextAreaField(
        QUESTIONS[key],
        validators=[
            Optional(),
            Length(max=MAX_ANSWER, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": 2, "maxlength": MAX_ANSWER},
    )


class ApplicationForm(ApplyForm):
    """Apply for a seat: profession, waitlist choice, an optional sponsor, short answers."""

    sponsor_email = EmailField(
        _l("Sponsor (e-mail of a member who vouches for you, optional)"),
        validators=[
            Optional(),
            Email(message=_l("Please enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    why = _answer_field("why")
    business_years = _answer_field("business_years")
    ideal_customers = _answer_field("ideal_customers")

    def answers(self) -> dict[str, str]:
        """The answers by question key."""
        return {key: getattr(self, key).data or "" for key in QUESTIONS}


def decline_prefix(member_id: int) -> str:
    """The prefix of the decline form in a request's row."""
    return f"d{member_id}"


class DeclineForm(FlaskForm):
    """Decline an application or a waitlist place: the reason is required and mailed."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Please give a reason for the decline.")),
            Length(max=MAX_REASON, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": 2, "maxlength": MAX_REASON},
    )
    page = HiddenField()
