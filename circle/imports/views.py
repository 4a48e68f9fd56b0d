"""HTML pages of imports (admins) and the CSV export (members).

Import: upload a file and a date → a preview with counts, unmatched names and row
errors (nothing written; the upload is kept under its sha256) → confirm → the import
runs in the request's one transaction → the result page. Export: a period → a CSV download.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from circle.api.endpoint import MAX_UPLOAD
from circle.auth.throttle import configured, user_or_address
from circle.core.csv_export import csv_download
from circle.core.errors import DomainError
from circle.core.weeks import today_for
from circle.extensions import limiter
from circle.imports import export, services, storage
from circle.imports.forms import ConfirmForm, ExportForm, UploadForm
from circle.models import Circle, Membership
from circle.web.boundary import attempt, circle_page, form_error, logged_in_user
from circle.web.edge import larger_body

bp = Blueprint("imports", __name__)


def _limit_upload() -> None:
    """Refuse uploads larger than ``MAX_UPLOAD_BYTES`` (413) before the form reads them."""
    request.max_content_length = current_app.config.get("MAX_UPLOAD_BYTES", MAX_UPLOAD)


def _upload_page(circle, form, status: int):
    """The upload form with the circle's latest imports."""
    return render_template(
        "imports/upload.html", circle=circle, form=form, history=services.imports_of(circle)
    ), status


@bp.route("/circles/<int:circle_id>/import", methods=["GET", "POST"])
@larger_body("MAX_UPLOAD_BYTES")
@login_required
@limiter.limit(configured("IMPORTS"), key_func=user_or_address, methods=["POST"])
@circle_page(admin=True)
def upload(circle: Circle, me: Membership):
    """Upload a file and see what it would import (admins; nothing is written yet)."""
    _limit_upload()
    form = UploadForm()
    if request.method == "GET":
        form.date.data = today_for(circle)
    if not form.validate_on_submit():
        return _upload_page(circle, form, 422 if form.is_submitted() else 200)
    data = form.file.data.read()
    filename = (form.file.data.filename or "")[:255]
    summary, error = attempt(lambda: services.preview(circle, data, slip_date=form.date.data))
    if error is not None:
        form_error(form, error)
        return _upload_page(circle, form, error.status)
    if summary.error_count or not summary.added:
        confirm = ConfirmForm(formdata=None)  # nothing to confirm: the file is not kept
        return render_template(
            "imports/preview.html",
            circle=circle,
            summary=summary,
            confirm=confirm,
            filename=filename,
        )
    confirm = ConfirmForm(
        sha=storage.store(circle.id, data),
        date=summary.date.isoformat() if summary.date else "",
        filename=filename,
        formdata=None,
    )
    return render_template(
        "imports/preview.html", circle=circle, summary=summary, confirm=confirm, filename=filename
    )


@bp.post("/circles/<int:circle_id>/import/confirm")
@login_required
@limiter.limit(configured("IMPORTS"), key_func=user_or_address)
@circle_page(admin=True)
def confirm(circle: Circle, me: Membership):
    """Import the previewed file: all rows or none."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The upload has expired. Please upload the file again."), "error")
        return redirect(url_for("imports.upload", circle_id=circle.id))
    try:
        slip_date = date.fromisoformat(form.date.data) if form.date.data else None
    except ValueError:
        upload_form = UploadForm(formdata=None)
        upload_form.date.errors = [_("This is not a valid date.")]
        return _upload_page(circle, upload_form, 422)
    summary, error = attempt(
        lambda: services.commit(
            circle,
            logged_in_user(),
            storage.load(circle.id, form.sha.data),
            filename=form.filename.data or "",
            slip_date=slip_date,
        )
    )
    if isinstance(error, services.ImportRejected):
        return render_template(
            "imports/preview.html",
            circle=circle,
            summary=error.summary,
            confirm=None,
            filename=form.filename.data or "",
        ), 422
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("imports.upload", circle_id=circle.id))
    storage.discard(circle.id, form.sha.data)
    flash(_("The import is done: %(n)s entries were added.", n=summary.added), "success")
    return redirect(url_for("imports.result", circle_id=circle.id, import_id=summary.import_id))


@bp.get("/circles/<int:circle_id>/imports/<int:import_id>")
@circle_page(admin=True)
def result(circle: Circle, me: Membership, import_id: int):
    """What one import added (admins)."""
    record = services.import_in(circle, import_id)
    return render_template("imports/result.html", circle=circle, record=record)


def _export_page(circle, me, form, status: int):
    """The export form."""
    return render_template("imports/export.html", circle=circle, me=me, form=form), status


@bp.get("/circles/<int:circle_id>/export")
@circle_page()
def export_page(circle: Circle, me: Membership):
    """Choose the period of a CSV export (admins: every entry; members: their own)."""
    form = ExportForm(formdata=None)
    form.end.data = today_for(circle)
    return _export_page(circle, me, form, 200)


@bp.get("/circles/<int:circle_id>/export.csv")
@circle_page()
def export_csv(circle: Circle, me: Membership):
    """Download referrals and closed business of a period as CSV (``?from=&to=``)."""
    form = ExportForm(request.args)
    if not form.validate():
        return _export_page(circle, me, form, 422)
    try:
        start, end = export.period(circle, form.start.data, form.end.data)
    except DomainError as error:
        form_error(form, error)
        return _export_page(circle, me, form, error.status)
    body = export.export_csv(circle, me, start, end)
    return csv_download(body, export.export_filename(circle, start, end))
