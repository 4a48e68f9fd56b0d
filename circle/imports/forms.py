"""Forms of the import and export pages: they only parse; the services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField
from wtforms.validators import Optional

from circle.web.forms import FlaskForm


class UploadForm(FlaskForm):
    """Upload a BNI Connect slips report or our CSV, with the day its slips are dated."""

    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])
    date = DateField(
        _l("Date of the slips"),
        validators=[Optional()],
        description=_l("BNI files carry no dates: every slip gets this date."),
    )


class ExportForm(FlaskForm):
    """The period of a CSV export (sent with GET; no CSRF needed for a download)."""

    class Meta:
        """A download changes nothing: no CSRF token."""

        csrf = False

    start = DateField(_l("From"), name="from", validators=[Optional()])
    end = DateField(_l("To"), name="to", validators=[Optional()])
