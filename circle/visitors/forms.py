"""Forms of the visitors page: a new visitor, another visit, turning into an applicant."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from circle.circles.access import Listed
from circle.core.formats import date_text
from circle.models import Circle, Meeting
from circle.visitors.services import LIMITS
from circle.web.boundary import ui_locale
from circle.web.forms import FlaskForm


def _meeting_choices(circle: Circle, meetings: list[Meeting]) -> list[SelectChoice]:
    """The meetings as select options, labelled with their day."""
    return [SelectChoice(m.id, date_text(m.held_on, "full", ui_locale())) for m in meetings]


def visit_prefix(visitor_id: int) -> str:
    """The prefix of the another-visit form in a visitor's row."""
    return f"v{visitor_id}"


class VisitForm(FlaskForm):
    """Pick the meeting of a (returning) visitor's visit."""

    meeting_id = SelectField(
        _l("Meeting"), coerce=int, validators=[InputRequired(_l("Choose a meeting."))]
    )

    def __init__(self, circle: Circle, meetings: list[Meeting], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_id.choices = _meeting_choices(circle, meetings)


class VisitorForm(VisitForm):
    """A new visitor: who, from which company and profession, invited by which member."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Please enter the visitor's name.")),
            Length(max=LIMITS["name"]),
        ],
    )
    company = StringField(_l("Company"), validators=[Optional(), Length(max=LIMITS["company"])])
    profession = StringField(
        _l("Profession"),
        validators=[
            InputRequired(_l("Please enter a profession.")),
            Length(max=LIMITS["profession"]),
        ],
    )
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[
            Optional(),
            Email(message=_l("Please enter a valid e-mail address.")),
            Length(max=LIMITS["email"]),
        ],
    )
    phone = StringField(
        _l("Phone (optional)"), validators=[Optional(), Length(max=LIMITS["phone"])]
    )
    invited_by_id = SelectField(
        _l("Invited by"), coerce=int, validators=[InputRequired(_l("Choose a member."))]
    )
    submit = SubmitField(_l("Record visitor"))

    def __init__(
        self, circle: Circle, meetings: list[Meeting], members: list[Listed], *args, **kwargs
    ):
        super().__init__(circle, meetings, *args, **kwargs)
        self.invited_by_id.choices = [SelectChoice(m.id, m.name) for m in members]
