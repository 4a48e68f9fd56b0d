"""Forms of the circle pages, the apply form, and the choice helpers they share.

The forms only parse input; the rules (seat limit 1..40, known currency and time zone,
the seat limit never below the seats taken) live in ``circle.circles.services`` and
reach the user as field errors through ``circle.web.form_error``.
"""

from __future__ import annotations

from datetime import time

from babel.dates import format_time, get_day_names
from babel.numbers import get_currency_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,  # WTForms >= 3.3: tuples as choices are deprecated
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from circle.circles.services import (
    ABSENCE_LIMIT,
    ABSENCE_WINDOW_MONTHS,
    MAX_LINK,
    MAX_PLACE,
    MEETING_FIELDS,
    MEETING_MINUTES,
    PROSPECT_RETENTION_MONTHS,
    RULE_FIELDS,
    VISITOR_MAX_VISITS,
    CircleSettings,
)
from circle.extensions import Labels
from circle.models import Circle
from circle.models.circle import MAX_SEATS
from circle.web.forms import FlaskForm

#: Currencies offered in the select (the service accepts every ISO 4217 code).
CURRENCIES = ("EUR", "CHF", "GBP", "USD", "PLN", "CZK", "DKK", "SEK", "NOK", "HUF")

#: Time zones offered in the select: Europe first, then a few for circles elsewhere.
TIMEZONES = (
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Copenhagen",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Budapest",
    "Europe/Bucharest",
    "Europe/Athens",
    "Europe/Istanbul",
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Dubai",
    "Asia/Singapore",
    "Australia/Sydney",
)

MAX_NAME_LENGTH = 120
MAX_PROFESSION_LENGTH = 120


def _locale() -> str:
    """The current UI locale as a string for Babel."""
    return str(get_locale() or "en")


def weekday_names() -> list[str]:
    """Localised weekday names, Monday (0) to Sunday (6), as stored in ``meeting_weekday``."""
    names = get_day_names("wide", locale=_locale())
    return [names[i] for i in range(7)]


def weekday_name(weekday: int) -> str:
    """The localised name of a weekday number (0 = Monday)."""
    return weekday_names()[weekday]


def weekday_choices() -> list:
    """The weekdays as select options: number and localised name."""
    return [SelectChoice(i, name) for i, name in enumerate(weekday_names())]


def meeting_time_label(value: time) -> str:
    """A meeting time in the current locale's short format (``07:00`` / ``7:00 AM``)."""
    return format_time(value, format="short", locale=_locale())


def currency_choices(current: str | None = None) -> list:
    """Currency options labelled ``EUR - Euro``; ``current`` is kept when not in the list."""
    codes = list(CURRENCIES)
    if current and current not in codes:
        codes.append(current)
    return [SelectChoice(c, f"{c} - {get_currency_name(c, locale=_locale())}") for c in codes]


def timezone_choices(current: str | None = None) -> list:
    """Time zone options; ``current`` is kept when it is not in the list."""
    zones = list(TIMEZONES)
    if current and current not in zones:
        zones.append(current)
    return [SelectChoice(z, z.replace("_", " ")) for z in zones]


_MEMBERSHIP_STATUSES = Labels(
    lambda: {
        "invited": _("Invited"),
        "applicant": _("Application pending"),
        "waitlisted": _("On the waitlist"),
        "active": _("Member"),
        "left": _("Left"),
        "removed": _("Removed"),
        "declined": _("Declined"),
    }
)


def status_label(status: str, offered: bool = False) -> str:
    """A translated name for a membership status, as the user sees it."""
    if status == "waitlisted" and offered:
        return _("Seat offered to you")
    return _MEMBERSHIP_STATUSES(status)


def role_label(role: str) -> str:
    """A translated name for a membership role."""
    return _("Admin") if role == "admin" else _("Member")


class CircleSettingsForm(FlaskForm):
    """The settings of a circle: name, place, money, time zone, meeting rhythm, seats."""

    name = StringField(
        _l("Name of the circle"),
        validators=[
            InputRequired(message=_l("Please enter a name.")),
            Length(max=MAX_NAME_LENGTH, message=_l("At most %(max)d characters.")),
        ],
    )
    city = StringField(
        _l("City"),
        validators=[
            Optional(),
            Length(max=MAX_NAME_LENGTH, message=_l("At most %(max)d characters.")),
        ],
    )
    currency = SelectField(_l("Currency"), default="EUR")
    timezone = SelectField(_l("Time zone"), default="Europe/Berlin")
    meeting_weekday = SelectField(_l("Meeting day"), coerce=int, default=2)
    meeting_time = TimeField(
        _l("Meeting time"),
        default=time(7, 0),
        validators=[InputRequired(message=_l("Please enter a time like 07:00."))],
    )
    seat_limit = IntegerField(
        _l("Seat limit"),
        default=MAX_SEATS,
        validators=[InputRequired(message=_l("Please enter a number of seats."))],
        render_kw={"min": 1, "max": MAX_SEATS, "inputmode": "numeric"},
    )
    show_thank_amount = BooleanField(
        _l("Tell givers the amount they were thanked for"), default=True
    )
    lopsided_threshold_pct = IntegerField(
        _l("Lopsided from (percent)"),
        default=80,
        validators=[Optional()],
        render_kw={"min": 1, "max": 100, "inputmode": "numeric"},
    )
    revenue_open_to_members = BooleanField(
        _l("Members see the revenue of every pair"), default=False
    )
    meeting_place = StringField(
        _l("Meeting place"),
        validators=[
            Optional(),
            Length(max=MAX_PLACE, message=_l("At most %(max)d characters.")),
        ],
    )
    meeting_link = StringField(
        _l("Video link"),
        validators=[
            Optional(),
            Length(max=MAX_LINK, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"inputmode": "url", "autocomplete": "off", "placeholder": "https://"},
    )
    meeting_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=90,
        validators=[Optional()],
        render_kw={"min": MEETING_MINUTES[0], "max": MEETING_MINUTES[1], "inputmode": "numeric"},
    )
    absence_limit = IntegerField(
        _l("Absences allowed"),
        default=3,
        validators=[Optional()],
        render_kw={"min": ABSENCE_LIMIT[0], "max": ABSENCE_LIMIT[1], "inputmode": "numeric"},
    )
    absence_window_months = IntegerField(
        _l("Within how many months"),
        default=6,
        validators=[Optional()],
        render_kw={
            "min": ABSENCE_WINDOW_MONTHS[0],
            "max": ABSENCE_WINDOW_MONTHS[1],
            "inputmode": "numeric",
        },
    )
    late_counts_half = BooleanField(_l("Late counts as half an absence"), default=False)
    visitor_max_visits = IntegerField(
        _l("Visits before a visitor applies"),
        default=2,
        validators=[Optional()],
        render_kw={
            "min": VISITOR_MAX_VISITS[0],
            "max": VISITOR_MAX_VISITS[1],
            "inputmode": "numeric",
        },
    )
    score_green_min = IntegerField(
        _l("Green from (points)"),
        default=70,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )
    score_yellow_min = IntegerField(
        _l("Yellow from (points)"),
        default=50,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )
    score_red_min = IntegerField(
        _l("Red from (points)"),
        default=30,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )
    prospect_retention_months = IntegerField(
        _l("Keep prospect details for (months)"),
        default=24,
        validators=[Optional()],
        render_kw={
            "min": PROSPECT_RETENTION_MONTHS[0],
            "max": PROSPECT_RETENTION_MONTHS[1],
            "inputmode": "numeric",
        },
    )

    require_two_factor = BooleanField(
        _l("Require two-factor login of everyone who sees money or prospects' details"),
        default=False,
    )

    def __init__(self, *args, circle: Circle | None = None, **kwargs) -> None:
        super().__init__(*args, obj=circle, **kwargs)
        self.currency.choices = currency_choices(circle.currency if circle else None)
        self.timezone.choices = timezone_choices(circle.timezone if circle else None)
        self.meeting_weekday.choices = weekday_choices()

    def to_settings(self) -> CircleSettings:
        """The parsed input as the service's settings object."""
        return CircleSettings(
            name=self.name.data or "",
            city=self.city.data or "",
            currency=self.currency.data,
            timezone=self.timezone.data,
            seat_limit=self.seat_limit.data,
            meeting_weekday=self.meeting_weekday.data,
            meeting_time=self.meeting_time.data,
            show_thank_amount=(
                self.show_thank_amount.data if self.show_thank_amount is not None else None
            ),
            lopsided_threshold_pct=(
                self.lopsided_threshold_pct.data
                if self.lopsided_threshold_pct is not None
                else None
            ),
            revenue_open_to_members=(
                self.revenue_open_to_members.data
                if self.revenue_open_to_members is not None
                else None
            ),
            **{name: self._given(name) for name in SETTINGS_FIELDS},
        )

    def _given(self, name: str):
        """The parsed value of an optional field; None (keep) when the form leaves it out."""
        field = getattr(self, name, None)
        if field is None:
            return None
        if isinstance(field.data, str):
            return field.data.strip()
        return field.data


#: Meeting and rule settings the form passes on (None when a form leaves one out).
SETTINGS_FIELDS = MEETING_FIELDS + RULE_FIELDS


class CreateCircleForm(CircleSettingsForm):
    """A new circle's settings plus the creator's own profession (optional)."""

    #: A new circle tells givers the amount; the setting is changed on the settings page.
    show_thank_amount = None
    #: So are the balance settings (threshold 80 %, revenue for admins only).
    lopsided_threshold_pct = None
    revenue_open_to_members = None
    #: The absence rule, visits and score thresholds keep their defaults until changed.
    absence_limit = None
    absence_window_months = None
    late_counts_half = None
    visitor_max_visits = None
    score_green_min = None
    score_yellow_min = None
    score_red_min = None
    prospect_retention_months = None
    require_two_factor = None

    profession = StringField(
        _l("Your own profession in this circle"),
        validators=[
            Optional(),
            Length(max=MAX_PROFESSION_LENGTH, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"list": "professions", "autocomplete": "off"},
    )


class ApplyForm(FlaskForm):
    """Apply for a profession's seat in a circle (used by ``membership.apply``)."""

    profession = StringField(
        _l("Your profession"),
        validators=[
            InputRequired(message=_l("Please enter a profession.")),
            Length(max=MAX_PROFESSION_LENGTH, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"list": "professions", "autocomplete": "off"},
    )
    waitlist = BooleanField(_l("If this profession is taken, put me on the waitlist"))
