"""HTML pages of imports (admins) and the CSV export (members).

Import: upload a file and a date → an import job, whose page shows a live progress bar
while the worker checks the file, then the preview with counts, unmatched names and row
errors (nothing written) → confirm → the worker imports it in one transaction, the bar
again → the result page. A job can be cancelled until it has ended.
Export: a period → a CSV download.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
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
from circle.imports import export, jobs, services
from circle.imports.forms import ExportForm, UploadForm
from circle.imports.planning import Summary
from circle.membership.forms import ActionForm
from circle.models import Circle, Membership
from circle.web.boundary import attempt, circle_page, form_error, logged_in_user
from circle.web.edge import larger_body

bp = Blueprint("imports", __name__)


def _limit_upload() -> None:
    """Refuse uploads larger than ``MAX_UPLOAD_BYTES`` (413) before the form reads them."""
    request.max_content_length = current_app.config.get("MAX_UPLOAD_BYTES", MAX_UPLOAD)


def _upload_page(circle, form, status: int):
    """The upload form with the circle's open import jobs and latest imports."""
    return render_template(
        "imports/upload.html",
        circle=circle,
        form=form,
        open_jobs=jobs.open_jobs(circle),
        history=services.imports_of(circle),
    ), status


@bp.route("/circles/<int:circle_id>/import", methods=["GET", "POST"])
@larger_body("MAX_UPLOAD_BYTES")
@login_required
@limiter.limit(configured("IMPORTS"), key_func=user_or_address, methods=["POST"])
@circle_page(admin=True)
def upload(circle: Circle, me: Membership):
    """Upload a file: the worker checks it and the job's page shows what it would import
    (admins; nothing is imported yet)."""
    _limit_upload()
    form = UploadForm()
    if request.method == "GET":
        form.date.data = today_for(circle)
    if not form.validate_on_submit():
        return _upload_page(circle, form, 422 if form.is_submitted() else 200)
    job = jobs.start(
        circle,
        logged_in_user(),
        form.file.data.read(),
        filename=form.file.data.filename or "",
        slip_date=form.date.data,
    )
    return redirect(url_for("imports.job", circle_id=circle.id, job_id=job.id), 303)


@bp.get("/circles/<int:circle_id>/import/jobs/<job_id>")
@circle_page(admin=True)
def job(circle: Circle, me: Membership, job_id: str):
    """An import job: its progress while the worker runs it, the preview to confirm, or
    how it ended (admins). A done job shows its import's result."""
    found = jobs.job_in(circle, job_id)
    if found.state == "done" and found.import_id is not None:
        return redirect(url_for("imports.result", circle_id=circle.id, import_id=found.import_id))
    summary = Summary.from_record(found.summary) if found.summary else None
    return render_template(
        "imports/job.html",
        circle=circle,
        job=found,
        status=jobs.status(found),
        summary=summary,
        can_confirm=jobs.can_confirm(found),
        action=ActionForm(formdata=None),
    )


@bp.get("/circles/<int:circle_id>/import/jobs/<job_id>/status")
@circle_page(admin=True)
def job_status(circle: Circle, me: Membership, job_id: str):
    """The job's state and progress as JSON, for its page's live progress bar."""
    response = jsonify(jobs.status(jobs.job_in(circle, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/circles/<int:circle_id>/import/jobs/<job_id>/confirm")
@login_required
@limiter.limit(configured("IMPORTS"), key_func=user_or_address)
@circle_page(admin=True)
def confirm(circle: Circle, me: Membership, job_id: str):
    """Import the previewed file in the worker: all rows or none."""
    found = jobs.job_in(circle, job_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
    else:
        _done, error = attempt(lambda: jobs.confirm(found))
        if error is not None:
            flash(error.message, "error")
    return redirect(url_for("imports.job", circle_id=circle.id, job_id=found.id), 303)


@bp.post("/circles/<int:circle_id>/import/jobs/<job_id>/cancel")
@login_required
@circle_page(admin=True)
def cancel(circle: Circle, me: Membership, job_id: str):
    """Cancel an import job: at once while it waits, at the worker's next step while it
    runs; an import that has ended stays as it is."""
    found = jobs.job_in(circle, job_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("imports.job", circle_id=circle.id, job_id=found.id), 303)
    outcome = jobs.cancel(found).outcome
    if outcome == "cancelled":
        flash(_("The import was cancelled; nothing was imported."), "success")
    elif outcome == "asked":
        flash(_("The import is being cancelled; nothing of it will be imported."), "success")
    else:
        flash(_("The import had already ended and cannot be cancelled any more."), "error")
    return redirect(url_for("imports.job", circle_id=circle.id, job_id=found.id), 303)


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
