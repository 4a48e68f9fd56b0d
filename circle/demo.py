"""Demo data: the circle "Kreis Köln-Süd", loaded idempotently by ``flask circle demo``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from circle.auth.services import create_confirmed_user, find_user_by_email
from circle.circles.access import active_membership
from circle.circles.services import CircleSettings, create_circle
from circle.core.weeks import today_for
from circle.demo_chapter import load_demo_chapter
from circle.extensions import db
from circle.membership import services as membership
from circle.models import Circle, Membership, Referral, User
from circle.profiles.demo import load_demo_profiles
from circle.referrals import services as referrals

DEMO_CIRCLE = "Kreis Köln-Süd"
DEMO_PASSWORD = "circle-demo"  # noqa: S105 - printed for local demo logins only  # nosec B105
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
        user = create_confirmed_user(person.email, DEMO_PASSWORD, person.name, locale="de")
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
            seat = membership.seat_directly(circle, actor, user.email, user.name, person.profession)
            if person.role == "admin":
                membership.set_role(circle, actor, seat.id, "admin")
        else:
            membership.apply(circle, user, person.profession, waitlist=True)
    db.session.flush()
    if not db.session.execute(
        select(Referral.id).where(Referral.circle_id == circle.id).limit(1)
    ).first():
        load_demo_year(circle)
    load_demo_chapter(circle, actor)
    seated = [(_user(person), person.profession) for person in PEOPLE if person.status == "active"]
    load_demo_profiles(seated)
    return circle


#: The seeds' lopsided pair: equal referrals both ways, very unequal value.
PHOTOGRAPHER, PHARMACIST = "jens", "petra"
PHOTO_EARNS_MINOR = 120_000  # about 1,200 € per referral from the pharmacist
PHARMACY_EARNS_MINOR = 500  # about 5 € (an aspirin) per referral from the photographer


def load_demo_year(circle: Circle, weeks: int = 52, seed: int = 7) -> None:
    """A year of weekly referrals and closed business, through the real services (no mails).

    Most pairs exchange at random; the Fotograf and the Apotheker give each other one
    referral a month each, but the Fotograf earns about 1,200 € per referral and the
    Apotheker about 5 €: the lopsided pair the balance analyses must show.
    """
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not security  # nosec B311
    seats = {
        m.user.email.split("@")[0]: m
        for m in db.session.execute(
            select(Membership).where(
                Membership.circle_id == circle.id, Membership.status == "active"
            )
        ).scalars()
    }
    photographer, pharmacist = seats[PHOTOGRAPHER], seats[PHARMACIST]
    others = [m for key, m in seats.items() if key not in (PHOTOGRAPHER, PHARMACIST)]
    today = today_for(circle)
    first = today - timedelta(weeks=weeks)
    for week in range(weeks):
        week_day = first + timedelta(weeks=week)
        for _ in range(rng.randint(8, 14)):
            giver, receiver = rng.sample(others, 2)
            day = min(week_day + timedelta(days=rng.randint(0, 6)), today)
            referral = _give(circle, giver, receiver, day, rng)
            if rng.random() < 0.3:
                amount = rng.choice((80, 150, 300, 600, 900, 1500)) * 100 + rng.randint(0, 99)
                _thank(circle, receiver, giver, referral, amount, day)
        if week % 4 == 1:  # once a month each way
            day = min(week_day + timedelta(days=2), today)
            to_photo = _give(circle, pharmacist, photographer, day, rng)
            large = _around(rng, PHOTO_EARNS_MINOR)
            _thank(circle, photographer, pharmacist, to_photo, large, day)
            to_pharmacy = _give(circle, photographer, pharmacist, day, rng)
            _thank(
                circle,
                pharmacist,
                photographer,
                to_pharmacy,
                _around(rng, PHARMACY_EARNS_MINOR),
                day,
            )


def _around(rng: random.Random, amount_minor: int) -> int:
    """An amount within ±10 % of ``amount_minor``."""
    return amount_minor + rng.randint(-amount_minor // 10, amount_minor // 10)


def _give(circle: Circle, giver: Membership, receiver: Membership, day: date, rng) -> Referral:
    """One demo referral from ``giver`` to ``receiver``."""
    data = referrals.ReferralInput(
        receiver_id=receiver.id,
        given_on=day,
        kind=rng.choice(("inside", "outside", "outside")),
        hotness=rng.randint(2, 5),
        sphere=rng.choice(("private", "professional", "local", "interests", None)),
    )
    return referrals.give_referrals(circle, giver, [data], notify=False)[0]


def _thank(
    circle: Circle,
    reporter: Membership,
    thanked: Membership,
    referral: Referral,
    amount_minor: int,
    day: date,
) -> None:
    """The receiver reports closed business on a demo referral, crediting the giver."""
    data = referrals.BusinessInput(
        thanked_id=thanked.id,
        amount_minor=amount_minor,
        closed_on=day,
        kind="new",
        referral_id=referral.id,
    )
    referrals.report_closed_business(circle, reporter, data, notify=False)
