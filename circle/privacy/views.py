"""HTML pages for personal data: the privacy page, the JSON download, deleting the account."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, logout_user

from circle.auth import sessions
from circle.auth.twofactor import require_code
from circle.extensions import limiter
from circle.privacy import erase
from circle.privacy.export import export_data
from circle.privacy.forms import EraseForm, ExportForm
from circle.web.boundary import attempt, form_error, logged_in_user, site_page

bp = Blueprint("privacy", __name__)


@bp.get("/account/privacy")
@site_page()
def index():
    """Your data: download it as JSON, or delete the account (with what is kept and why)."""
    return _render(EraseForm(formdata=None), 200)


def _render(form: EraseForm, status: int):
    """Show the privacy page with the deletion form."""
    user = logged_in_user()
    body = render_template(
        "privacy/index.html",
        export_form=ExportForm(formdata=None),
        form=form,
        blocking=erase.blocking_circles(user),
        payments_kept=erase.payments_kept(user),
        retention_years=erase.PAYMENT_RETENTION_YEARS,
    )
    return current_app.make_response((body, status))


@bp.post("/account/export")
@login_required
@limiter.limit("10 per hour")
@site_page()
def export():
    """Download everything about me as ``circle-export-<date>.json``.

    Never cached: every response to a logged-in user is ``no-store``
    (``circle.register_security_headers``).
    """
    form = ExportForm()
    if not form.validate_on_submit():
        flash(_("The download has expired. Please try again."), "error")
        return redirect(url_for("privacy.index"))
    data = export_data(logged_in_user())
    day = data["exported_at"][:10]
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="circle-export-{day}.json"'},
    )
    return response


@bp.post("/account/delete")
@login_required
@limiter.limit("5 per minute")
@site_page()
def delete():
    """Delete my account after the password and the typed confirmation; then log out."""
    form = EraseForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    _done, error = attempt(lambda: _erase(form))
    if error is not None:
        form_error(form, error)
        form.password.data = ""
        return _render(form, error.status)
    logout_user()
    sessions.end()
    flash(_("Your account has been deleted. Thank you for being part of Circle."), "success")
    return redirect(url_for("auth.index"))


def _erase(form: EraseForm) -> None:
    """Erase the logged-in account after the two-factor code, password and confirmation."""
    user = logged_in_user()
    require_code(user, form.code.data)
    erase.erase_account(user, form.password.data, form.confirmation.data)
