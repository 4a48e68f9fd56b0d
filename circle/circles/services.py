"""Circles: creation and settings (meetings, rules, balance, two-factor requirement).

The lookups that keep circles apart and count seats are in ``circle.circles.access``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from zoneinfo import available_timezones

from babel.numbers import list_currencies
from flask_babel import gettext as _
from sqlalchemy import select

from circle.auth.twofactor import check_requirement
from circle.auth.verification import require_confirmed
from circle.circles.access import lock_circle, seats_taken
from circle.core.clock import utcnow
from circle.core.errors import ValidationFailed
from circle.extensions import db
from circle.meetings.schedule import ensure_meetings, reschedule_upcoming
from circle.membership.professions import get_or_create_profession
from circle.models import Circle, ClosedBusiness, Membership, User
from circle.models.circle import MAX_SEATS
from circle.roles.permissions import require


@dataclass(frozen=True)
class CircleSettings:
    """The editable settings of a circle, already parsed by a form or schema."""

    name: str
    city: str = ""
    currency: str = "EUR"
    timezone: str = "Europe/Berlin"
    seat_limit: int = MAX_SEATS
    meeting_weekday: int = 2
    meeting_time: time = time(7, 0)
    #: Tell thanked givers the amount; None keeps the current setting (True for a new circle).
    show_thank_amount: bool | None = None
    #: A pair counts as lopsided from this lopsidedness on, in percent; None keeps it (80).
    lopsided_threshold_pct: int | None = None
    #: Whether members see the revenue of pairs they are not part of; None keeps it (False).
    revenue_open_to_members: bool | None = None
    #: Where and how long the meeting is, and its video link; None keeps the current value.
    meeting_place: str | None = None
    meeting_link: str | None = None
    meeting_minutes: int | None = None
    #: The absence rule: more than ``absence_limit`` absences within the window put a seat
    #: at risk; late arrivals count half when ``late_counts_half``. None keeps each.
    absence_limit: int | None = None
    absence_window_months: int | None = None
    late_counts_half: bool | None = None
    #: How often a visitor may attend before applying; None keeps it (2).
    visitor_max_visits: int | None = None
    #: The member score's traffic lights (points out of 100); None keeps each.
    score_green_min: int | None = None
    score_yellow_min: int | None = None
    score_red_min: int | None = None
    #: Months after which prospect details on referrals are erased; None keeps it (24).
    prospect_retention_months: int | None = None
    #: Whether everyone who sees money or prospects' details must use two-factor login.
    require_two_factor: bool | None = None


#: Bounds of the meeting and rule settings (the database checks them too).
MAX_PLACE = 200
MAX_LINK = 500
MEETING_MINUTES = (15, 480)
ABSENCE_LIMIT = (0, 52)
ABSENCE_WINDOW_MONTHS = (1, 24)
VISITOR_MAX_VISITS = (1, 10)
PROSPECT_RETENTION_MONTHS = (1, 120)
#: The settings that apply to meetings, in the order of the Circle columns.
MEETING_FIELDS = ("meeting_place", "meeting_link", "meeting_minutes")
RULE_FIELDS = (
    "absence_limit",
    "absence_window_months",
    "late_counts_half",
    "visitor_max_visits",
    "score_green_min",
    "score_yellow_min",
    "score_red_min",
    "prospect_retention_months",
    "require_two_factor",
)


def validate_settings(settings: CircleSettings) -> None:
    """Check the settings a database constraint cannot explain well; raise ValidationFailed."""
    if not settings.name.strip():
        raise ValidationFailed(_("Please enter a name."), field="name")
    if not 1 <= settings.seat_limit <= MAX_SEATS:
        raise ValidationFailed(
            _("A circle has between 1 and %(max)s seats.", max=MAX_SEATS), field="seat_limit"
        )
    if settings.currency not in list_currencies():
        raise ValidationFailed(_("Unknown currency code."), field="currency")
    if settings.timezone not in available_timezones():
        raise ValidationFailed(_("Unknown time zone."), field="timezone")
    if not 0 <= settings.meeting_weekday <= 6:
        raise ValidationFailed(_("Choose a weekday."), field="meeting_weekday")
    if settings.lopsided_threshold_pct is not None and not (
        1 <= settings.lopsided_threshold_pct <= 100
    ):
        raise ValidationFailed(
            _("The threshold is a percentage between 1 and 100."),
            field="lopsided_threshold_pct",
        )


def _in_range(value: int | None, bounds: tuple[int, int], field: str) -> None:
    """Refuse a whole number outside ``bounds`` (None is 'keep' and passes)."""
    if value is None:
        return
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(
            _("Enter a whole number from %(min)s to %(max)s.", min=low, max=high), field=field
        )


def validate_meeting_settings(settings: CircleSettings, current: Circle | None = None) -> None:
    """Check place, video link, duration, the absence rule, visits and score thresholds.

    The thresholds are checked in order (green ≥ yellow ≥ red, all 0..100); a threshold
    left out (None) is compared as the circle's current value.
    """
    if settings.meeting_place is not None and len(settings.meeting_place.strip()) > MAX_PLACE:
        raise ValidationFailed(
            _("At most %(n)s characters, please.", n=MAX_PLACE), field="meeting_place"
        )
    link = (settings.meeting_link or "").strip()
    if link:
        if len(link) > MAX_LINK:
            raise ValidationFailed(
                _("At most %(n)s characters, please.", n=MAX_LINK), field="meeting_link"
            )
        if not link.lower().startswith(("https://", "http://")) or any(c.isspace() for c in link):
            raise ValidationFailed(
                _("Enter a web address starting with https://."), field="meeting_link"
            )
    _in_range(settings.meeting_minutes, MEETING_MINUTES, "meeting_minutes")
    _in_range(settings.absence_limit, ABSENCE_LIMIT, "absence_limit")
    _in_range(settings.absence_window_months, ABSENCE_WINDOW_MONTHS, "absence_window_months")
    _in_range(settings.visitor_max_visits, VISITOR_MAX_VISITS, "visitor_max_visits")
    _in_range(
        settings.prospect_retention_months, PROSPECT_RETENTION_MONTHS, "prospect_retention_months"
    )
    for name in ("score_green_min", "score_yellow_min", "score_red_min"):
        _in_range(getattr(settings, name), (0, 100), name)

    def threshold(name: str, default: int) -> int:
        value = getattr(settings, name)
        if value is None:
            value = getattr(current, name) if current is not None else default
        return value

    green = threshold("score_green_min", 70)
    yellow = threshold("score_yellow_min", 50)
    red = threshold("score_red_min", 30)
    if yellow > green:
        raise ValidationFailed(
            _("Yellow cannot start above green (%(green)s points).", green=green),
            field="score_yellow_min",
        )
    if red > yellow:
        raise ValidationFailed(
            _("Red cannot start above yellow (%(yellow)s points).", yellow=yellow),
            field="score_red_min",
        )


def _apply_meeting_settings(circle: Circle, settings: CircleSettings) -> bool:
    """Set the meeting and rule settings that were given; True when the meetings change."""
    before = tuple(getattr(circle, name) for name in MEETING_FIELDS)
    for name in MEETING_FIELDS + RULE_FIELDS:
        value = getattr(settings, name)
        if value is None:
            continue
        setattr(circle, name, value.strip() if isinstance(value, str) else value)
    return before != tuple(getattr(circle, name) for name in MEETING_FIELDS)


def create_circle(creator: User, settings: CircleSettings, profession_name: str = "") -> Circle:
    """Create a circle; the creator becomes its admin (holding a seat if a profession is given)."""
    require_confirmed(creator)
    validate_settings(settings)
    validate_meeting_settings(settings)
    circle = Circle(
        name=settings.name.strip(),
        city=settings.city.strip(),
        currency=settings.currency,
        timezone=settings.timezone,
        seat_limit=settings.seat_limit,
        meeting_weekday=settings.meeting_weekday,
        meeting_time=settings.meeting_time,
    )
    if settings.show_thank_amount is not None:
        circle.show_thank_amount = settings.show_thank_amount
    _apply_balance_settings(circle, settings)
    _apply_meeting_settings(circle, settings)
    db.session.add(circle)
    db.session.flush()
    profession = get_or_create_profession(profession_name) if profession_name.strip() else None
    now = utcnow()
    db.session.add(
        Membership(
            circle_id=circle.id,
            user_id=creator.id,
            profession_id=profession.id if profession else None,
            role="admin",
            status="active",
            joined_at=now,
        )
    )
    db.session.flush()
    ensure_meetings(circle)
    return circle


def _has_business(circle_id: int) -> bool:
    """Whether the circle has any closed business recorded (voided entries too: they keep
    their amounts)."""
    return (
        db.session.execute(
            select(ClosedBusiness.id).where(ClosedBusiness.circle_id == circle_id).limit(1)
        ).first()
        is not None
    )


def update_circle(circle: Circle, actor: Membership, settings: CircleSettings) -> Circle:
    """Change a circle's settings (``edit_settings``); the seat limit stays above seats
    taken, and the currency stays once closed business is recorded in it (its amounts, the
    balances and the pair totals are in that currency)."""
    require(actor, "edit_settings")
    check_requirement(circle, actor, settings.require_two_factor)
    validate_settings(settings)
    validate_meeting_settings(settings, circle)
    locked = lock_circle(circle.id)
    taken = seats_taken(locked.id)
    if settings.seat_limit < taken:
        raise ValidationFailed(
            _(
                "The seat limit cannot be lower than the %(taken)s seats already taken.",
                taken=taken,
            ),
            field="seat_limit",
        )
    if settings.currency != locked.currency and _has_business(locked.id):
        raise ValidationFailed(
            _(
                "The currency cannot change once closed business is recorded: its amounts"
                " are in %(currency)s.",
                currency=locked.currency,
            ),
            field="currency",
        )
    rhythm = (locked.meeting_weekday, locked.meeting_time, locked.timezone)
    locked.name = settings.name.strip()
    locked.city = settings.city.strip()
    locked.currency = settings.currency
    locked.timezone = settings.timezone
    locked.seat_limit = settings.seat_limit
    locked.meeting_weekday = settings.meeting_weekday
    locked.meeting_time = settings.meeting_time
    if settings.show_thank_amount is not None:
        locked.show_thank_amount = settings.show_thank_amount
    _apply_balance_settings(locked, settings)
    meetings_changed = _apply_meeting_settings(locked, settings)
    db.session.flush()
    if meetings_changed or rhythm != (locked.meeting_weekday, locked.meeting_time, locked.timezone):
        reschedule_upcoming(locked)
    return locked


def _apply_balance_settings(circle: Circle, settings: CircleSettings) -> None:
    """Set the balance settings that were given (None keeps the current value)."""
    if settings.lopsided_threshold_pct is not None:
        circle.lopsided_threshold_pct = settings.lopsided_threshold_pct
    if settings.revenue_open_to_members is not None:
        circle.revenue_open_to_members = settings.revenue_open_to_members
