"""Circles and the profession list over the API."""

from __future__ import annotations

from dataclasses import replace

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas import CircleIn, CircleList, CircleOut, CirclePatch, ProfessionList
from circle.circles import access
from circle.circles import services as circles
from circle.membership.professions import list_professions
from circle.models import Circle


class WithSeats:
    """A circle plus its count of taken seats, for ``CircleOut``."""

    def __init__(self, circle: Circle, seats_taken: int) -> None:
        self.circle = circle
        self.seats_taken = seats_taken

    def __getattr__(self, name: str):
        return getattr(self.circle, name)


def _settings_of(circle: Circle) -> circles.CircleSettings:
    """The current settings of a circle, to apply a partial change onto."""
    return circles.CircleSettings(
        name=circle.name,
        city=circle.city,
        currency=circle.currency,
        timezone=circle.timezone,
        seat_limit=circle.seat_limit,
        meeting_weekday=circle.meeting_weekday,
        meeting_time=circle.meeting_time,
    )


@endpoint("/professions", "GET", summary="List professions", tag="circles", response=ProfessionList)
def professions():
    """The platform-wide list of professions, by name."""
    return {"items": list_professions()}


@endpoint("/circles", "GET", summary="List my circles", tag="circles", response=CircleList)
def list_circles():
    """The circles in which the caller holds an active membership."""
    active = [m.circle for m in access.circles_of(current_user()) if m.status == "active"]
    counts = access.seats_taken_by_circle([c.id for c in active])
    return {"items": [WithSeats(c, counts[c.id]) for c in active]}


@endpoint(
    "/circles",
    "POST",
    summary="Create a circle",
    tag="circles",
    body=CircleIn,
    response=CircleOut,
    status=201,
)
def create_circle(data):
    """Create a circle; the caller becomes its admin (holding ``profession``'s seat if given)."""
    profession = data.pop("profession")
    circle = circles.create_circle(current_user(), circles.CircleSettings(**data), profession)
    return WithSeats(circle, access.seats_taken(circle.id))


@endpoint(
    "/circles/<int:circle_id>", "GET", summary="Show a circle", tag="circles", response=CircleOut
)
def show_circle(circle_id):
    """A circle of the caller's; any other circle is not found."""
    circle, _membership = access.circle_for_user(current_user(), circle_id)
    return WithSeats(circle, access.seats_taken(circle.id))


@endpoint(
    "/circles/<int:circle_id>",
    "PATCH",
    summary="Change a circle's settings",
    tag="circles",
    body=CirclePatch,
    response=CircleOut,
    problems=("forbidden",),
)
def update_circle(circle_id, data):
    """Change settings (admins). The seat limit never drops below the seats taken (422)."""
    circle, actor = access.circle_for_user(current_user(), circle_id)
    updated = circles.update_circle(circle, actor, replace(_settings_of(circle), **data))
    return WithSeats(updated, access.seats_taken(updated.id))
