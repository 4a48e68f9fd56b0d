"""The reminders page of an account and the one-click link of a reminder mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from circle.extensions import csrf
from circle.reminders import choices
from circle.reminders.forms import ReminderChoicesForm
from circle.web.boundary import site_page

bp = Blueprint("reminders", __name__)


def kind_label(kind: str) -> str:
    """What a reminder kind is called on the pages."""
    return {
        "weekly": _("the weekly reminder the day before each meeting"),
        "absence": _("the notice after an absence"),
        "dues": _("the reminder of overdue dues"),
        "risk": _("the weekly warning of seats at risk"),
    }[kind]


@bp.route("/account/reminders", methods=["GET", "POST"])
@site_page()
def preferences():
    """Choose which reminders to get; saved at once, for every circle of the account."""
    user = current_user._get_current_object()
    form = ReminderChoicesForm(
        formdata=request.form if request.method == "POST" else None,
        data={kind: choices.wants(user, kind) for kind in choices.KINDS},
    )
    if request.method == "POST" and form.validate():
        choices.set_choices(user, {kind: form[kind].data for kind in choices.KINDS})
        flash(_("Your choice of reminders is saved."), "success")
        return redirect(url_for("reminders.preferences"))
    status = 422 if request.method == "POST" else 200
    return render_template("reminders/preferences.html", form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
@site_page(login=False)
def unsubscribe(token: str):
    """A reminder's one-click link: GET asks (it changes nothing), POST turns that
    reminder off, from the page's button or from a mail client (RFC 8058)."""
    user, kind = choices.token_target(token)
    if request.method == "GET":
        return render_template(
            "reminders/unsubscribe.html",
            token=token,
            what=kind_label(kind),
            done=not choices.wants(user, kind),
        )
    choices.unsubscribe(token)
    return render_template(
        "reminders/unsubscribe.html", token=token, what=kind_label(kind), done=True
    )
