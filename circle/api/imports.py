"""Imports and the CSV export over the API.

``POST /circles/{id}/imports`` takes ``multipart/form-data`` (``file``, ``date``,
``dry_run``): a dry run (the default) answers 200 with the preview; ``dry_run=false``
imports and answers 201 with the same summary, or 422 ``import_rejected`` with the row
errors (``errors`` by row number, and the whole ``preview``) and nothing written.
``POST /circles/{id}/import-jobs`` leaves the work to the worker: 202 with the job, whose
state, progress and preview ``GET /circles/{id}/import-jobs/{job}`` reads; ``.../confirm``
imports it, ``.../cancel`` cancels it.
``GET /circles/{id}/export.csv?from=&to=`` answers ``text/csv``.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import FileStorage

from circle.api.endpoint import WithStatus, current_user, endpoint
from circle.api.fields import Day
from circle.api.schemas import In
from circle.auth.throttle import configured
from circle.circles.access import circle_for_user
from circle.core.csv_export import csv_download
from circle.core.errors import Conflict
from circle.imports import export, jobs, services
from circle.models.imports import IMPORT_JOB_STATES


class Upload(fields.Field):
    """An uploaded file (a multipart part with a file name)."""

    def _deserialize(self, value, attr, data, **kwargs) -> FileStorage:
        """Accept only a file part."""
        if not isinstance(value, FileStorage):
            raise ValidationError(_("Attach the file as a multipart file part."))
        return value


class FormBool(fields.Boolean):
    """``true``/``false`` (also ``1``/``0``) as sent in a form field."""

    default_error_messages = {"invalid": _l("Not a valid boolean.")}

    def make_error(self, key: str, **kwargs) -> ValidationError:
        """A ValidationError translated now."""
        return ValidationError(str(self.error_messages[key]))


class UploadForm(In):
    """The upload: the file and the day its slips are dated."""

    file = Upload(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "BNI Connect's Slips Audit Report (.xls, XML Spreadsheet 2003) "
            "or a CSV exported from Circle.",
        },
    )
    date = Day(
        load_default=None,
        metadata={
            "format": "date",
            "description": "The day every imported BNI slip is dated (BNI files carry no "
            "dates; required for them). CSV rows carry their own dates.",
        },
    )


class ImportForm(UploadForm):
    """The upload, and whether to only preview it."""

    dry_run = FormBool(
        load_default=True,
        metadata={"description": "`true` (default): only preview; `false`: import."},
    )


class RowErrorOut(Schema):
    """One refused row."""

    row = fields.Integer(required=True)
    message = fields.String(required=True)


class ImportSummaryOut(Schema):
    """What an import holds (dry run) or added (committed)."""

    format = fields.String(required=True, metadata={"enum": ["circle_csv", "bni_slips"]})
    date = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    rows = fields.Integer(required=True, metadata={"description": "Data rows in the file."})
    referrals = fields.Integer(required=True)
    closed_business = fields.Integer(required=True)
    other_slips = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "One-to-One, CEU and Visitor slips by type (kept)."},
    )
    one_to_ones = fields.Integer(
        required=True,
        metadata={
            "description": "One-to-ones added: One-to-One rows whose From and To are both "
            "active members (once per pair and day)."
        },
    )
    education_credits = fields.Integer(
        required=True,
        metadata={
            "description": "Education credits added: CEU rows whose From is an active "
            "member; one credit = 60 minutes unless the quantity gives a time."
        },
    )
    already_imported = fields.Integer(required=True)
    unmatched_names = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Names matching no member: recorded as external parties."},
    )
    new_external_parties = fields.Integer(required=True)
    errors = fields.List(fields.Nested(RowErrorOut), required=True)
    error_count = fields.Integer(required=True)
    import_id = fields.Integer(required=True, allow_none=True)


class ImportJobOut(Schema):
    """An import job: where the worker is with it and, once checked, its preview."""

    id = fields.String(required=True, metadata={"description": "32 hex characters."})
    state = fields.String(
        required=True,
        metadata={
            "enum": list(IMPORT_JOB_STATES),
            "description": "queued → checking → checked (the preview; confirm it) → "
            "confirmed → importing → done; or failed (see `error`), or cancelled.",
        },
    )
    filename = fields.String(required=True)
    stage = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "While running: read, check or write."},
    )
    done = fields.Integer(required=True, metadata={"description": "Rows done in the stage."})
    total = fields.Integer(required=True, allow_none=True)
    percent = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The whole job done, 0 to 100 (null: not known yet)."},
    )
    cancelling = fields.Boolean(required=True)
    summary = fields.Nested(
        ImportSummaryOut,
        required=True,
        allow_none=True,
        metadata={
            "description": "The preview (checked), what was added (done), or the row "
            "errors (failed)."
        },
    )
    import_id = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, metadata={"description": "Why the job failed."})


class ExportQuery(In):
    """The export's period, both ends included."""

    start = Day(
        data_key="from",
        load_default=None,
        metadata={"format": "date", "description": "First day; default: all entries."},
    )
    end = Day(
        data_key="to",
        load_default=None,
        metadata={"format": "date", "description": "Last day; default: today."},
    )


@endpoint(
    "/circles/<int:circle_id>/imports",
    "POST",
    summary="Preview or run an import",
    tag="imports",
    form=ImportForm,
    response=ImportSummaryOut,
    status=200,
    statuses=(201,),
    problems=("forbidden", "import_rejected"),
    rate_limit=configured("IMPORTS"),
)
def create_import(circle_id, form):
    """Upload a BNI Connect slips report or a Circle CSV (admins).

    With `dry_run=true` (the default) nothing is written: 200 with the preview. With
    `dry_run=false` every row is imported or, on any row error, none (422
    `import_rejected` with `errors` by row number and the `preview`): 201 with the
    summary. Rows already imported are skipped, so the same file twice adds nothing.
    """
    circle, _me = services.admin_circle(current_user(), circle_id)
    data = form()
    upload: FileStorage = data["file"]
    content = upload.read()
    if data["dry_run"]:
        return services.preview(circle, content, slip_date=data["date"]).as_dict()
    summary = services.commit(
        circle,
        current_user(),
        content,
        filename=upload.filename or "",
        slip_date=data["date"],
    )
    return WithStatus(summary.as_dict(), 201)


def _job_out(job) -> dict:
    """An import job as ``ImportJobOut``."""
    return {
        **jobs.status(job),
        "id": job.id,
        "filename": job.filename,
        "summary": job.summary,
        "import_id": job.import_id,
        "error": job.error,
    }


@endpoint(
    "/circles/<int:circle_id>/import-jobs",
    "POST",
    summary="Upload a file for the worker to check",
    tag="imports",
    form=UploadForm,
    response=ImportJobOut,
    status=202,
    problems=("forbidden",),
    rate_limit=configured("IMPORTS"),
)
def create_import_job(circle_id, form):
    """Upload a BNI Connect slips report or a Circle CSV as an import job (admins).

    The worker checks it in the background: poll `GET .../import-jobs/{job_id}` until the
    state is `checked` (the preview in `summary`) or `failed` (`error`, row errors in
    `summary`), then confirm it. Large files belong here; `POST .../imports` works inside
    the request.
    """
    circle, _me = services.admin_circle(current_user(), circle_id)
    data = form()
    upload: FileStorage = data["file"]
    job = jobs.start(
        circle,
        current_user(),
        upload.read(),
        filename=upload.filename or "",
        slip_date=data["date"],
    )
    return _job_out(job)


@endpoint(
    "/circles/<int:circle_id>/import-jobs/<job_id>",
    "GET",
    summary="An import job's state, progress and preview",
    tag="imports",
    response=ImportJobOut,
    problems=("forbidden",),
)
def get_import_job(circle_id, job_id):
    """Where the worker is with an import job (admins): its state, the progress of a
    running job, the preview of a checked one, the import of a done one."""
    circle, _me = services.admin_circle(current_user(), circle_id)
    return _job_out(jobs.job_in(circle, job_id))


@endpoint(
    "/circles/<int:circle_id>/import-jobs/<job_id>/confirm",
    "POST",
    summary="Import a checked file",
    tag="imports",
    response=ImportJobOut,
    status=202,
    problems=("forbidden", "conflict"),
    rate_limit=configured("IMPORTS"),
)
def confirm_import_job(circle_id, job_id):
    """Hand a checked job to the worker to import, all rows or none (admins). 409 when
    the job is not waiting for its confirmation (row errors, nothing new, ended)."""
    circle, _me = services.admin_circle(current_user(), circle_id)
    job = jobs.job_in(circle, job_id)
    jobs.confirm(job)
    return _job_out(job)


@endpoint(
    "/circles/<int:circle_id>/import-jobs/<job_id>/cancel",
    "POST",
    summary="Cancel an import job",
    tag="imports",
    response=ImportJobOut,
    problems=("forbidden", "conflict"),
)
def cancel_import_job(circle_id, job_id):
    """Cancel a job (admins): at once while it waits (state `cancelled`), at the worker's
    next step while it runs (`cancelling` is true). 409 when it has already ended."""
    circle, _me = services.admin_circle(current_user(), circle_id)
    job = jobs.job_in(circle, job_id)
    if jobs.cancel(job).outcome == "ended":
        raise Conflict(_("The import had already ended and cannot be cancelled any more."))
    return _job_out(job)


@endpoint(
    "/circles/<int:circle_id>/export.csv",
    "GET",
    summary="Export referrals and closed business as CSV",
    tag="imports",
    query=ExportQuery,
    produces="text/csv",
)
def export_csv(circle_id, query):
    """Referrals and closed business of a period as CSV (UTF-8, amounts like `1234.50`).

    Admins get every entry of the circle, members the entries they gave, received,
    reported or were thanked for. The file imports back with `POST .../imports`.
    """
    circle, me = circle_for_user(current_user(), circle_id)
    start, end = export.period(circle, query["start"], query["end"])
    body = export.export_csv(circle, me, start, end)
    return csv_download(body, export.export_filename(circle, start, end))
