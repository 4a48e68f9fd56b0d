"""Forms of the account pages: registration, login, password reset, profile, API tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from circle.auth.services import MAX_PASSWORD
from circle.auth.twofactor_forms import code_field
from circle.web.forms import FlaskForm

#: The UI languages; names are shown in their own language (wtforms >= 3.3 choices).
LANGUAGE_CHOICES = [
    SelectChoice("de", "Deutsch", render_kw={"lang": "de"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


def _email_field() -> EmailField:
    """An e-mail address field checked for syntax only (no DNS look-ups)."""
    return EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Length(max=254),
            Email(_l("Please enter a valid e-mail address.")),
        ],
        render_kw={"autocomplete": "email"},
    )


class RegisterForm(FlaskForm):
    """A new account: name, e-mail, password twice and the UI language."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class LoginForm(FlaskForm):
    """E-mail address and password, with an optional long-lived login."""

    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    """The address to send a password reset link to."""

    email = _email_field()


class ResetPasswordForm(FlaskForm):
    """A new password, entered twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(FlaskForm):
    """Display name and preferred language of the account."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Please enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class TokenForm(FlaskForm):
    """A new API token; the name only helps to recognise it later."""

    name = StringField(
        _l("Token name"),
        validators=[Optional(), Length(max=80)],
        id="token-name",
        description=_l("For example the script or device that will use it."),
    )


class LanguageForm(FlaskForm):
    """The language switch in the page header."""

    locale = SelectField(choices=LANGUAGE_CHOICES)
    next = HiddenField()


def _current_password_field(field_id: str) -> PasswordField:
    """The current password, asked again before the login details change."""
    return PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_PASSWORD),
        ],
        render_kw={"autocomplete": "current-password"},
        id=field_id,
    )


class PasswordChangeForm(FlaskForm):
    """A new password, entered twice, confirmed with the current one."""

    current_password = _current_password_field("password-change-current")
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please choose a password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "new-password"},
        id="new-password",
    )
    password_repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
        id="new-password-repeat",
    )
    #: Asked of users with two-factor login only (``circle.auth.twofactor.require_code``).
    code = code_field("password-change-code", required=False)


class EmailChangeForm(FlaskForm):
    """A new login address, confirmed with the current password."""

    email = EmailField(
        _l("New e-mail address"),
        validators=[
            DataRequired(_l("Please enter your e-mail address.")),
            Length(max=254),
            Email(_l("Please enter a valid e-mail address.")),
        ],
        render_kw={"autocomplete": "email"},
        id="new-email",
    )
    current_password = _current_password_field("email-change-current")
    code = code_field("email-change-code", required=False)


class ResendConfirmationForm(FlaskForm):
    """The "send the link again" button of the confirm-your-address banner."""

    next = HiddenField()


class ConfirmEmailForm(FlaskForm):
    """The "confirm my address" button of a mailed confirmation link (CSRF only)."""
