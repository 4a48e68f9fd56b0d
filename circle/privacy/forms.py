"""Forms of the privacy page: the export button and the account deletion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from circle.auth.services import MAX_PASSWORD
from circle.auth.twofactor_forms import code_field
from circle.web.forms import FlaskForm


class ExportForm(FlaskForm):
    """Download my data (a POST, so that only this site can start it: CSRF)."""


class EraseForm(FlaskForm):
    """Delete my account: the password again and the e-mail address typed as confirmation."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    confirmation = StringField(
        _l("Type your e-mail address to confirm"),
        validators=[
            DataRequired(_l("Please type your e-mail address to confirm.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    #: Asked of users with two-factor login only (``circle.auth.twofactor.require_code``).
    code = code_field("erase-code", required=False)
