"""Forms of the membership pages (admins fill and change seats; users accept invitations).

The manage page shows several forms at once, so each is created with its own
``prefix`` (``add-email``, ``invite-email``, ``m12-profession`` ...) and an error lands
on the form that was sent.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Email, Length

from circle.membership.services import MAX_PROFESSION_LENGTH

#: Prefixes of the forms on the manage page.
ADD_PREFIX = "add"
INVITE_PREFIX = "invite"


def profession_prefix(member_id: int) -> str:
    """The prefix of the change-profession form in a member's row."""
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
