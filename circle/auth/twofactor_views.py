"""HTML pages of two-factor login: the code at login, enrolment, recovery codes, switching off.

After a correct password a user with two-factor login is not logged in yet: the session
holds only a pending marker (user id, time, "stay logged in") for ``PENDING_SECONDS``,
and ``/login/code`` asks for the code. Only a valid code calls ``sessions.start``.

Circles that require two-factor login send a member who sees money or prospects' details
there and has not switched it on to the enrolment page, from every page of that circle.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from circle.auth import sessions, twofactor
from circle.auth.throttle import TooManyAttempts, configured, user_or_address
from circle.auth.twofactor_forms import EnableForm, LoginCodeForm, PasswordAndCodeForm
from circle.circles.access import active_membership
from circle.core.security import is_safe_next
from circle.extensions import db, limiter
from circle.models import User
from circle.web.boundary import attempt, form_error, logged_in_user, redirect_next, site_page

bp = Blueprint("twofactor", __name__)

#: Session key of a login waiting for its code.
PENDING = "_2fa_pending"
#: How long the code page waits after the password, in seconds.
PENDING_SECONDS = 300
#: Where a user lands after logging in (as ``circle.auth.views.HOME``).
HOME = "circles.index"


# --- the second step of a login -------------------------------------------------------


def ask_code_if_needed(user: User, remember: bool = False):
    """After a correct password: ask for the code when the user has two-factor login.

    Remembers a pending login (not a logged-in session) and answers with the redirect to
    the code page; None for users without two-factor login, whom the caller logs in.
    """
    if not twofactor.is_enabled(user):
        return None
    session[PENDING] = {"user": user.id, "at": int(twofactor.clock()), "remember": bool(remember)}
    target = request.form.get("next") or request.args.get("next")
    return redirect(url_for("twofactor.login_code", next=target if is_safe_next(target) else None))


def _pending() -> tuple[User, bool] | None:
    """The user waiting for a code and the "stay logged in" choice; None when none or stale."""
    marker = session.get(PENDING)
    if not isinstance(marker, dict):
        return None
    user_id, at = marker.get("user"), marker.get("at")
    if not isinstance(user_id, int) or not isinstance(at, int):
        return None
    if not 0 <= twofactor.clock() - at <= PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None or not twofactor.is_enabled(user):
        return None
    return user, bool(marker.get("remember"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@site_page(login=False)
def login_code():
    """The second step of a login: a code from the app or a recovery code."""
    pending = _pending()
    if pending is None:
        session.pop(PENDING, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    user, remember = pending
    form = LoginCodeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return _render_login_code(form, 422 if form.is_submitted() else 200)
    left_before = twofactor.recovery_codes_left(user)
    valid, refusal = attempt(lambda: twofactor.verify(user, form.code.data))
    if isinstance(refusal, TooManyAttempts):  # the only refusal of verify
        session.pop(PENDING, None)
        form_error(form, refusal)
        response = current_app.make_response(_render_login_code(form, refusal.status))
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    if not valid:
        form.code.errors = [_("This code is not valid. Please try again.")]
        form.code.data = ""
        return _render_login_code(form, 200)
    sessions.start(user, remember=remember)
    flash(_("You are logged in."), "success")
    left = twofactor.recovery_codes_left(user)
    if left < left_before:
        flash(
            ngettext(
                "You used a recovery code; %(num)d is left. Make new ones on your account "
                "page if you have lost your phone.",
                "You used a recovery code; %(num)d are left. Make new ones on your account "
                "page if you have lost your phone.",
                left,
            ),
            "info",
        )
    return redirect_next(HOME)


def _render_login_code(form: LoginCodeForm, status: int):
    """Show the code page of the login."""
    return render_template("auth/twofactor_login.html", form=form), status


# --- the account's two-factor page ---------------------------------------------------


@bp.get("/account/two-factor")
@site_page()
def setup():
    """Two-factor login on the account: enrol (QR code and secret) or manage it."""
    user = logged_in_user()
    if twofactor.is_enabled(user):
        return _render_manage()
    return _render_enrol(EnableForm(formdata=None), 200)


#: The browser session's key of the secret being enrolled (encrypted).
ENROLMENT = "two_factor_enrolment"


def _enrolment_secret() -> str:
    """The secret of this enrolment: kept (encrypted) in the session so the QR code stays
    the same on every visit until confirmed; nothing is stored in the database before."""
    secret = twofactor.unseal(session.get(ENROLMENT))
    if secret is None:
        secret = twofactor.new_secret()
        session[ENROLMENT] = twofactor.seal(secret)
    return secret


def _render_enrol(form: EnableForm, status: int):
    """Show the enrolment page with the QR code, the secret and the ``otpauth://`` URI."""
    user = logged_in_user()
    secret = _enrolment_secret()
    uri = twofactor.provisioning_uri(user, secret)
    body = render_template(
        "auth/twofactor_setup.html",
        form=form,
        secret=twofactor.grouped(secret),
        uri=uri,
        qr=twofactor.qr_data_uri(uri),
        requiring=twofactor.circles_requiring(user),
    )
    return current_app.make_response((body, status))


def _render_manage(
    codes_form: PasswordAndCodeForm | None = None,
    off_form: PasswordAndCodeForm | None = None,
    status: int = 200,
):
    """Show the page of a user with two-factor login: new recovery codes, switch off."""
    user = logged_in_user()
    body = render_template(
        "auth/twofactor_manage.html",
        codes_form=codes_form or PasswordAndCodeForm(formdata=None, prefix="codes"),
        off_form=off_form or PasswordAndCodeForm(formdata=None, prefix="off"),
        left=twofactor.recovery_codes_left(user),
        requiring=twofactor.circles_requiring(user),
    )
    return current_app.make_response((body, status))


def _render_codes(codes: list[str], status: int = 200):
    """Show new recovery codes, once; the response must never be cached."""
    response = current_app.make_response(
        (render_template("auth/twofactor_codes.html", codes=codes), status)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-factor/enable")
@login_required
@limiter.limit("10 per minute", key_func=user_or_address)
@site_page()
def enable():
    """Switch two-factor login on with a first code; shows the recovery codes once."""
    form = EnableForm()
    if not form.validate_on_submit():
        return _render_enrol(form, 422)
    secret = twofactor.unseal(session.get(ENROLMENT))
    codes, refusal = attempt(lambda: twofactor.enable(logged_in_user(), secret, form.code.data))
    if refusal is not None:
        form_error(form, refusal)
        form.code.data = ""
        return _render_enrol(form, refusal.status)
    session.pop(ENROLMENT, None)
    flash(_("Two-factor login is on."), "success")
    return _render_codes(codes)


def _with_password_and_code(prefix: str, action):
    """Run ``action(user, password, code)`` for the manage page's form ``prefix``.

    Returns ``(result, None)``, or ``(None, response)`` showing the form with its errors.
    """
    form = PasswordAndCodeForm(prefix=prefix)
    if not form.validate_on_submit():
        return None, _render_manage(**{f"{prefix}_form": form}, status=422)
    result, refusal = attempt(
        lambda: action(logged_in_user(), form.current_password.data, form.code.data)
    )
    if refusal is not None:
        form_error(form, refusal)
        return None, _render_manage(**{f"{prefix}_form": form}, status=refusal.status)
    return result, None


@bp.post("/account/two-factor/recovery-codes")
@login_required
@limiter.shared_limit(configured("REAUTH"), scope="reauth", key_func=user_or_address)
@site_page()
def new_recovery_codes():
    """Make new recovery codes after password and code; the old ones stop working."""
    codes, refused = _with_password_and_code("codes", twofactor.regenerate_recovery_codes)
    if refused is not None:
        return refused
    flash(_("Your new recovery codes are ready; the old ones no longer work."), "success")
    return _render_codes(codes)


@bp.post("/account/two-factor/disable")
@login_required
@limiter.shared_limit(configured("REAUTH"), scope="reauth", key_func=user_or_address)
@site_page()
def disable():
    """Switch two-factor login off after password and code."""
    _done, refused = _with_password_and_code("off", twofactor.disable)
    if refused is not None:
        return refused
    flash(_("Two-factor login is off."), "success")
    return redirect(url_for("auth.account"))


# --- circles that require it ----------------------------------------------------------


@bp.before_app_request
def require_where_circle_demands():
    """Send a member who must use two-factor login in this circle to the enrolment page.

    Applies to every HTML page with a ``circle_id`` in its URL (not the API) when the user
    holds an active seat there, the circle requires two-factor login, the seat shows money
    or prospects' details (``twofactor.SENSITIVE_PERMISSIONS``) and the user lacks it.
    Nothing of the request runs: a form sent there changes nothing.
    """
    circle_id = (request.view_args or {}).get("circle_id")
    if not isinstance(circle_id, int) or (request.blueprint or "").startswith("api"):
        return None
    if not current_user.is_authenticated:
        return None
    membership = active_membership(logged_in_user(), circle_id)
    if not twofactor.must_enrol(membership):
        return None
    flash(
        _(
            "%(circle)s requires two-factor login for your role. Please switch it on to "
            "open the circle's pages.",
            circle=membership.circle.name,
        ),
        "info",
    )
    return redirect(url_for("twofactor.setup"))
