"""Forms of the meeting pages: cancel a meeting, record attendance, one-button actions.

The forms only parse input; the rules (codes, the substitute's name, every member
recorded) live in ``circle.meetings.services`` and come back as field errors.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from circle.extensions import Labels
from circle.meetings.services import MAX_CANCEL_REASON, MAX_SUBSTITUTE
from circle.models import Attendance, Membership
from circle.web.forms import FlaskForm


def code_choices() -> list[SelectChoice]:
    """The attendance codes with their meaning."""
    return [
        SelectChoice("P", _l("P \N{EN DASH} present")),
        SelectChoice("A", _l("A \N{EN DASH} absent")),
        SelectChoice("L", _l("L \N{EN DASH} late")),
        SelectChoice("M", _l("M \N{EN DASH} medical")),
        SelectChoice("S", _l("S \N{EN DASH} substitute")),
    ]


_CODES = Labels(lambda: {choice.value: choice.label for choice in code_choices()})


def code_label(code: str | None) -> str:
    """The meaning of one attendance code (empty when none was recorded)."""
    return _CODES(code, "")


class CancelMeetingForm(FlaskForm):
    """Cancel a meeting with a reason (e.g. a public holiday)."""

    reason = StringField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Please give a reason.")),
            Length(max=MAX_CANCEL_REASON, message=_l("At most %(max)d characters.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A one-button action (undo a cancellation, lock a week, new calendar link)."""


class ReplyForm(FlaskForm):
    """My answer for a meeting: the button pressed names it (yes, no, substitute)."""

    answer = StringField()
    next = HiddenField()


def code_field(member_id: int) -> str:
    """The name of a member's code select on the attendance form."""
    return f"code_{member_id}"


def substitute_field(member_id: int) -> str:
    """The name of a member's substitute field on the attendance form."""
    return f"substitute_{member_id}"


def attendance_form(sheet: list[tuple[Membership, Attendance | None]], **kwargs) -> FlaskForm:
    """A form with one code select and one substitute field per member on the sheet.

    A member without a recorded row starts as present (P).
    """

    class AttendanceForm(FlaskForm):
        """The attendance of one meeting, every member at once."""

    for member, row in sheet:
        setattr(
            AttendanceForm,
            code_field(member.id),
            SelectField(
                member.user.name,
                choices=code_choices(),
                default=row.code if row else "P",
                validate_choice=False,
            ),
        )
        setattr(
            AttendanceForm,
            substitute_field(member.id),
            StringField(
                _l("Substitute for %(name)s", name=member.user.name),
                default=row.substitute_name if row else "",
                validators=[Length(max=MAX_SUBSTITUTE, message=_l("At most %(max)d characters."))],
                render_kw={"autocomplete": "off"},
            ),
        )
    return AttendanceForm(**kwargs)
