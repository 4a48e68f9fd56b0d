"""HTML pages for accounts: landing page, register, log in/out, password reset, account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from circle.auth import services, sessions, verification
from circle.auth.events import auth_event
from circle.auth.forms import (
    ConfirmEmailForm,
    EmailChangeForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    TokenForm,
)
from circle.auth.throttle import TooManyAttempts, configured, user_or_address
from circle.auth.twofactor import require_code
from circle.auth.twofactor_views import ask_code_if_needed
from circle.core.security import is_safe_next
from circle.extensions import limiter
from circle.mail.send import external_url, send_mail
from circle.models import User
from circle.web.boundary import attempt, form_error, redirect_next, site_page

bp = Blueprint("auth", __name__)

#: Where a user lands after logging in, registering or resetting the password.
HOME = "circles.index"


def _email_key() -> str:
    """Rate-limit key: the e-mail address typed into the form (normalised)."""
    return "email:" + services.normalise_email(request.form.get("email", ""))[:254]


# --- landing page ------------------------------------------------------------------


@bp.get("/")
def index():
    """The start page: members go to their circles, visitors see what Circle is."""
    if current_user.is_authenticated:
        return redirect(url_for(HOME))
    return render_template("index.html", open_registration=current_app.config["OPEN_REGISTRATION"])


# --- registration and login --------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@site_page(login=False)
def register():
    """Create an account and mail the link that confirms its address.

    Only while open registration is on. A known address answers exactly like a new one
    (its owner gets a mail instead), so the page never tells whether an account exists.
    """
    if not current_app.config["OPEN_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = str(get_locale() or "de")
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return _render_register(form, 422 if form.is_submitted() else 200)
    _user, error = attempt(
        lambda: services.register_user(
            form.email.data, form.password.data, form.name.data, form.locale.data
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_register(form, error.status)
    session["registered_email"] = services.normalise_email(form.email.data)
    return redirect(url_for("auth.registered", next=_local_next(form.next.data)))


def _local_next(target: str | None) -> str | None:
    """``target`` when it is a path of this site (to carry on to the login), else None."""
    return target if is_safe_next(target) else None


@bp.get("/register/sent")
def registered():
    """After registering: check the mailbox for the confirmation link, then log in."""
    return render_template(
        "auth/registered.html",
        email=session.get("registered_email", ""),
        login_url=url_for("auth.login", next=_local_next(request.args.get("next"))),
    )


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
@site_page()
def confirm_email(token: str):
    """Confirm an address through the mailed link: GET shows it, the button confirms it.

    Logged in only (the password as well as the mailbox); a bad, used or expired link, or
    one made for another account, is 404.
    """
    user = current_user._get_current_object()
    address = verification.address_to_confirm(token, user)  # NotFound -> 404 page
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        verification.confirm(token, user)  # EmailTaken -> error page
        flash(_("Thank you: your e-mail address %(email)s is confirmed.", email=address), "success")
        return redirect(url_for(HOME))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/confirm_email.html", form=form, address=address), status


@bp.post("/account/confirm/resend")
@login_required
@limiter.limit(configured("CONFIRM_RESEND"), key_func=user_or_address)
@site_page()
def resend_confirmation():
    """Mail a new confirmation link for the account's unconfirmed or pending address."""
    if not ResendConfirmationForm().validate_on_submit():
        abort(400)
    sent = verification.resend_confirmation(current_user)
    if sent:
        flash(_("We have sent you a new link. Please check your mailbox."), "info")
    else:
        flash(_("Your e-mail address is already confirmed."), "info")
    return redirect_next(HOME)


def _render_register(form: RegisterForm, status: int):
    """Show the registration page."""
    return render_template(
        "auth/register.html", form=form, min_password=services.MIN_PASSWORD
    ), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
@site_page(login=False)
def login():
    """Log in with e-mail address and password; ``next`` is followed only when local."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return _render_login(form, 422 if form.is_submitted() else 200)
    # Checking may upgrade an outdated hash: kept when the page commits.
    user, error = attempt(
        lambda: services.check_login(form.email.data, form.password.data, via="web")
    )
    if error is not None:
        if not isinstance(error, TooManyAttempts):
            raise error
        form_error(form, error)
        form.password.data = ""
        response = current_app.make_response(_render_login(form, error.status))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if user is None:
        # One message for unknown address and wrong password: no hint which one it was.
        form.form_errors.append(_("The e-mail address or the password is wrong."))
        form.password.data = ""
        return _render_login(form, 200)
    asked = ask_code_if_needed(user, remember=form.remember.data)
    if asked is not None:
        return asked
    sessions.start(user, remember=form.remember.data)
    flash(_("You are logged in."), "success")
    return redirect_next(HOME)


def _render_login(form: LoginForm, status: int):
    """Show the login page."""
    return render_template(
        "auth/login.html", form=form, open_registration=current_app.config["OPEN_REGISTRATION"]
    ), status


@bp.post("/logout")
@site_page(login=False)
def logout():
    """Log out and forget the session and the remember cookie (the chosen language stays)."""
    if current_user.is_authenticated:
        auth_event("logout", "success", user=current_user)
    sessions.end()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.index"))


# --- forgotten password ------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_email_key, methods=["POST"])
@site_page(login=False)
def forgot_password():
    """Mail a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/forgot_password.html", form=form
        ), 422 if form.is_submitted() else 200
    user = services.find_user_by_email(form.email.data)
    if user is not None:
        _send_reset_mail(user)
        auth_event("password_reset_request", "sent", user=user)
    else:
        auth_event("password_reset_request", "unknown", email=form.email.data)
    flash(
        _(
            "If an account exists for %(email)s, we have sent it a link to choose a new "
            "password. Please check your mailbox.",
            email=services.normalise_email(form.email.data),
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


def _send_reset_mail(user: User) -> None:
    """Send the reset link in the user's language."""
    link = external_url("auth.reset_password", token=services.make_reset_token(user))
    minutes = max(current_app.config["PASSWORD_RESET_MAX_AGE"] // 60, 1)
    with force_locale(user.locale):
        send_mail(
            user.email,
            _("Choose a new password for Circle"),
            _(
                "Hello %(name)s,\n\nsomeone (hopefully you) asked for a new password for your "
                "Circle account. Choose it here; the link works once and for %(minutes)s "
                "minutes:\n%(link)s\n\nIf you did not ask for this, ignore this mail: your "
                "password stays as it is.\n",
                name=user.name,
                minutes=minutes,
                link=link,
            ),
        )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@site_page(login=False)
def reset_password(token: str):
    """Choose a new password through a mailed link; invalid, used or expired links are 404."""
    user = services.user_for_reset_token(token)  # NotFound -> 404 page with its message
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return _render_reset(form, token, 422 if form.is_submitted() else 200)
    _done, error = attempt(lambda: _set_new_password(user, form.password.data))
    if error is not None:
        form_error(form, error)
        return _render_reset(form, token, error.status)
    auth_event("password_reset", "success", user=user)
    asked = ask_code_if_needed(user)
    if asked is not None:
        return asked
    sessions.start(user)
    flash(_("Your new password is set and you are logged in."), "success")
    return redirect(url_for(HOME))


def _set_new_password(user: User, password: str) -> None:
    """Set the password chosen through a mailed link, which also confirms the address."""
    services.set_password(user, password)
    verification.mark_confirmed(user)


def _render_reset(form: ResetPasswordForm, token: str, status: int):
    """Show the page for choosing a new password."""
    return render_template(
        "auth/reset_password.html", form=form, token=token, min_password=services.MIN_PASSWORD
    ), status


# --- account and API tokens --------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@site_page()
def account():
    """The account page; POST saves the profile (name and language)."""
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if not form.validate_on_submit():
        return _render_account(profile=form, status=422 if form.is_submitted() else 200)
    _user, error = attempt(
        lambda: services.update_profile(current_user, form.name.data, form.locale.data)
    )
    if error is not None:
        form_error(form, error)
        return _render_account(profile=form, status=error.status)
    session.pop("locale", None)  # the account's language now decides
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@limiter.shared_limit(configured("REAUTH"), scope="reauth", key_func=user_or_address)
@site_page()
def change_password():
    """Choose a new password after giving the current one; other sessions end, this one stays."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render_account(password_form=form, status=422)
    user = current_user._get_current_object()
    _done, error = attempt(
        lambda: (
            require_code(user, form.code.data),
            services.change_password(user, form.current_password.data, form.password.data),
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_account(password_form=form, status=error.status)
    sessions.start(user, remember=sessions.remembered())
    flash(_("Your new password is set. Your other sessions are logged out."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/email")
@login_required
@limiter.shared_limit(configured("REAUTH"), scope="reauth", key_func=user_or_address)
@site_page()
def change_email():
    """Change the login address after giving the current password."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return _render_account(email_form=form, status=422)
    _done, error = attempt(
        lambda: (
            require_code(current_user, form.code.data),
            services.change_email(current_user, form.current_password.data, form.email.data),
        )
    )
    if error is not None:
        form_error(form, error)
        return _render_account(email_form=form, status=error.status)
    flash(
        _(
            "We have sent a link to %(email)s. Your address changes once you follow it; "
            "until then, log in with your current address.",
            email=services.normalise_email(form.email.data),
        ),
        "info",
    )
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end-others")
@site_page()
def end_other_sessions():
    """Log out every other browser and device of this account; this session stays."""
    user = current_user._get_current_object()
    services.end_other_sessions(user)
    flash(_("Your other sessions are logged out."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/<int:session_id>/end")
@site_page()
def end_session(session_id: int):
    """End one of the user's sessions (another browser or device); another user's is 404."""
    user = current_user._get_current_object()
    if sessions.current() is not None and sessions.current().id == session_id:
        sessions.end()
        logout_user()
        flash(_("You are logged out."), "info")
        return redirect(url_for("auth.index"))
    sessions.end_one(user, session_id)
    auth_event("session", "ended", user=user)
    flash(_("The session is ended."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@login_required
@limiter.limit("20 per hour", key_func=user_or_address)
@site_page()
def create_token():
    """Issue an API token and show it once, on this response only."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_account(token_form=form, status=422)
    _token, plain = services.create_api_token(current_user, form.name.data or "")
    response = _render_account(new_token=plain, status=201)
    response.headers["Cache-Control"] = "no-store"  # the plain token must not be cached
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@site_page()
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens; another user's token answers 404."""
    token = services.revoke_api_token(current_user, token_id)
    flash(_("The token %(prefix)s… is revoked.", prefix=token.prefix), "success")
    return redirect(url_for("auth.account"))


def _render_account(
    profile: ProfileForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str | None = None,
    status: int = 200,
    password_form: PasswordChangeForm | None = None,
    email_form: EmailChangeForm | None = None,
):
    """Show the account page: profile, login details, sessions and API tokens."""
    if profile is None:
        profile = ProfileForm(formdata=None, obj=current_user)
    if token_form is None:
        token_form = TokenForm(formdata=None)
    if password_form is None:
        password_form = PasswordChangeForm(formdata=None)
    if email_form is None:
        email_form = EmailChangeForm(formdata=None)
    body = render_template(
        "auth/account.html",
        profile=profile,
        token_form=token_form,
        password_form=password_form,
        email_form=email_form,
        tokens=services.api_tokens_of(current_user),
        user_sessions=sessions.active_sessions(current_user),
        this_session=sessions.current(),
        device=sessions.device,
        new_token=new_token,
        min_password=services.MIN_PASSWORD,
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    return current_app.make_response((body, status))


# --- language ----------------------------------------------------------------------


@bp.post("/language")
@site_page(login=False)
def set_language():
    """Switch the UI language for this browser (and the account, when logged in)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        services.update_profile(current_user, current_user.name, form.locale.data)
    return redirect_next("auth.index")
