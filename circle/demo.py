"""Demo data: the circle "Kreis Köln-Süd", loaded idempotently by ``flask circle demo``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from circle.auth.services import find_user_by_email, register_user
from circle.circles.services import CircleSettings, active_membership, create_circle
from circle.extensions import db
from circle.membership import services as membership
from circle.models import Circle, User

DEMO_CIRCLE = "Kreis Köln-Süd"
DEMO_PASSWORD = "circle-demo"  # noqa: S105 - printed for local demo logins only
DEMO_DOMAIN = "koeln-sued.example"


@dataclass(frozen=True)
class DemoPerson:
    """One demo login: who, which profession, which role or status."""

    name: str
    login: str
    profession: str
    role: str = "member"
    status: str = "active"

    @property
    def email(self) -> str:
        """The demo login's e-mail address."""
        return f"{self.login}@{DEMO_DOMAIN}"


PEOPLE = (
    DemoPerson("Anna Schmitz", "anna", "Unternehmensberatung", role="admin"),
    DemoPerson("Thomas Weber", "thomas", "Rechtsanwalt", role="admin"),
    DemoPerson("Jens Becker", "jens", "Fotograf"),
    DemoPerson("Petra Wagner", "petra", "Apotheker"),
    DemoPerson("Markus Hoffmann", "markus", "Steuerberater"),
    DemoPerson("Laura Fischer", "laura", "Immobilienmaklerin"),
    DemoPerson("Sabine Koch", "sabine", "Versicherungsmaklerin"),
    DemoPerson("Michael Richter", "michael", "Elektriker"),
    DemoPerson("Julia Klein", "julia", "Grafikdesign"),
    DemoPerson("Stefan Wolf", "stefan", "IT-Dienstleister"),
    DemoPerson("Claudia Schröder", "claudia", "Physiotherapie"),
    DemoPerson("Andreas Neumann", "andreas", "Schreiner"),
    DemoPerson("Katrin Schwarz", "katrin", "Floristik"),
    DemoPerson("Daniel Zimmermann", "daniel", "Finanzberatung"),
    DemoPerson("Nicole Braun", "nicole", "Zahnärztin"),
    DemoPerson("Frank Krüger", "frank", "Dachdecker"),
    DemoPerson("Melanie Hofmann", "melanie", "Eventplanung"),
    DemoPerson("Christian Hartmann", "christian", "Autohaus"),
    DemoPerson("Sandra Lange", "sandra", "Übersetzungsbüro"),
    DemoPerson("Tobias Schmitt", "tobias", "Maler und Lackierer"),
    DemoPerson("Birgit Werner", "birgit", "Hörakustik"),
    DemoPerson("Oliver Krause", "oliver", "Gebäudereinigung"),
    # Not seated: one waits for the photographer's seat, one applies as a baker.
    DemoPerson("Sven Meier", "sven", "Fotograf", status="waitlisted"),
    DemoPerson("Eva Lehmann", "eva", "Bäckerei", status="applicant"),
)


def _user(person: DemoPerson) -> User:
    """Find or register the demo person's account."""
    user = find_user_by_email(person.email)
    if user is None:
        user = register_user(person.email, DEMO_PASSWORD, person.name, locale="de")
    return user


def load_demo() -> Circle:
    """Create the demo circle and its people unless they exist; safe to run again."""
    circle = db.session.execute(
        select(Circle).where(Circle.name == DEMO_CIRCLE)
    ).scalar_one_or_none()
    president = _user(PEOPLE[0])
    if circle is None:
        settings = CircleSettings(
            name=DEMO_CIRCLE,
            city="Köln",
            meeting_weekday=2,
            meeting_time=time(7, 0),
        )
        circle = create_circle(president, settings, PEOPLE[0].profession)
    actor = active_membership(president, circle.id)
    for person in PEOPLE[1:]:
        user = _user(person)
        if membership.live_membership(circle.id, user.id) is not None:
            continue
        if person.status == "active":
            seat = membership.add_member(
                circle, actor, user.email, user.name, person.profession, notify=False
            )
            if person.role == "admin":
                membership.set_role(circle, actor, seat.id, "admin")
        else:
            membership.apply(circle, user, person.profession, waitlist=True)
    db.session.flush()
    return circle
