"""Forms of two-factor login: the code at login, enrolment, recovery codes, switching off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from circle.auth.services import MAX_PASSWORD
from circle.web.forms import FlaskForm

#: Longest code accepted: a recovery code with spaces or dashes typed in.
MAX_CODE = 32


def code_field(field_id: str | None = None, required: bool = True) -> StringField:
    """A one-time code: six digits from the app, or (where accepted) a recovery code.

    ``field_id`` keeps ids unique where several forms share a page (else the form's prefix
    does); ``required=False`` for forms that ask it only of users with two-factor login.
    """
    check = DataRequired(_l("Please enter the code from your authenticator app."))
    extra = {"id": field_id} if field_id else {}
    return StringField(
        _l("Code from your authenticator app"),
        validators=[check if required else Optional(), Length(max=MAX_CODE)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
        **extra,
    )


class LoginCodeForm(FlaskForm):
    """The second step of a login: a code from the app or a recovery code."""

    code = code_field("login-code")
    next = HiddenField()


class EnableForm(FlaskForm):
    """Switch two-factor login on with a first code from the app."""

    code = code_field("enable-code")


class PasswordAndCodeForm(FlaskForm):
    """Password and code again, before new recovery codes or switching off."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_PASSWORD),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    code = code_field()
