"""Imports and the CSV export over the API.

``POST /circles/{id}/imports`` takes ``multipart/form-data`` (``file``, ``date``,
``dry_run``): a dry run (the default) answers 200 with the preview; ``dry_run=false``
imports and answers 201 with the same summary, or 422 ``import_rejected`` with the row
errors (``errors`` by row number, and the whole ``preview``) and nothing written.
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
from circle.imports import export, services


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


class ImportForm(In):
    """The upload: the file, the day its slips are dated, and whether to only preview."""

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
