"""Factories: rows for tests, committed into the test's transaction."""

from __future__ import annotations

import itertools
from datetime import time

from argon2 import PasswordHasher
from sqlalchemy import insert, select

from circle.core import security
from circle.core.clock import utcnow
from circle.core.security import hash_password
from circle.extensions import db
from circle.models import Circle, Membership, User
from circle.profiles.search import refresh

PASSWORD = "correct horse battery"
_hash_cache: dict[tuple, str] = {}
_seq = itertools.count(1)


#: argon2id at its minimal cost. Tests run with it unless marked ``real_password_cost``
#: (see tests/conftest.py): they test what a password opens, not what a guess costs.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_DUMMY_HASH = CHEAP_HASHER.hash("dummy")


def password_hash(password: str = PASSWORD) -> str:
    """Hash once per password, run and hashing cost: argon2 is deliberately slow."""
    hasher = security._hasher
    key = (password, hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _hash_cache:
        _hash_cache[key] = hash_password(password)
    return _hash_cache[key]


class Factory:
    """Make users, circles, members, meetings and slips; each call commits (into the test's
    transaction) and returns a detached object or, for slips, the new id."""

    def __init__(self, app):
        self.app = app

    def _save(self, *objects):
        with self.app.test_request_context():
            for obj in objects:
                db.session.add(obj)
            db.session.commit()
            db.session.remove()
        return objects[0]

    def user(
        self,
        name: str | None = None,
        email: str | None = None,
        locale: str = "de",
        *,
        confirmed: bool = True,
    ) -> User:
        """A user who can log in with ``PASSWORD``; ``confirmed=False`` for an account
        that has not followed its confirmation link yet."""
        n = next(_seq)
        return self._save(
            User(
                email=email or f"user{n}@example.org",
                name=name or f"User {n}",
                password_hash=password_hash(),
                locale=locale,
                email_verified_at=utcnow() if confirmed else None,
            )
        )

    def profession(self, name: str):
        """A profession from the platform list (found or created)."""
        from circle.membership.professions import get_or_create_profession

        with self.app.test_request_context():
            profession = get_or_create_profession(name)
            db.session.commit()
            db.session.remove()
        return profession

    def circle(
        self,
        admin: User | None = None,
        name: str | None = None,
        seat_limit: int = 40,
        admin_profession: str | None = "Organisationsberatung",
        **fields,
    ) -> Circle:
        """A circle with ``admin`` (a new user if not given) as its admin."""
        admin = admin or self.user(name="Admin")
        circle = self._save(
            Circle(
                name=name or f"Kreis {next(_seq)}",
                city=fields.pop("city", "Köln"),
                seat_limit=seat_limit,
                timezone=fields.pop("timezone", "Europe/Berlin"),
                currency=fields.pop("currency", "EUR"),
                meeting_weekday=fields.pop("meeting_weekday", 2),
                meeting_time=fields.pop("meeting_time", time(7, 0)),
            )
        )
        self.member(circle, admin, profession=admin_profession, role="admin")
        return circle

    def member(
        self,
        circle: Circle,
        user: User | None = None,
        profession: str | None = None,
        role: str = "member",
        status: str = "active",
    ) -> Membership:
        """A membership (active by default) of ``user`` in ``circle``."""
        user = user or self.user()
        prof = (
            self.profession(profession or f"Beruf {next(_seq)}")
            if (profession or role != "admin")
            else None
        )
        ended = status in ("left", "removed", "declined")
        membership = self._save(
            Membership(
                circle_id=circle.id,
                user_id=user.id,
                profession_id=prof.id if prof else None,
                role=role,
                status=status,
                joined_at=utcnow() if status == "active" else None,
                ended_at=utcnow() if ended else None,
            )
        )
        return self.reload_membership(membership.id)

    def admin_seat(self, circle: Circle) -> Membership:
        """The membership of the circle's (first) admin, as ``circle`` made it."""
        with self.app.test_request_context():
            seat_id = db.session.execute(
                select(Membership.id)
                .where(Membership.circle_id == circle.id, Membership.role == "admin")
                .order_by(Membership.id)
                .limit(1)
            ).scalar_one()
            db.session.remove()
        return self.reload_membership(seat_id)

    def reload_membership(self, membership_id: int) -> Membership:
        """Load a membership with its user, circle and profession."""
        with self.app.test_request_context():
            membership = db.session.get(Membership, membership_id)
            db.session.remove()
        return membership

    def officer(self, membership: Membership, role: str) -> Membership:
        """Grant ``membership`` an officer role (e.g. ``secretary_treasurer``); returns it."""
        from circle.models import MembershipRole

        self._save(
            MembershipRole(circle_id=membership.circle_id, membership_id=membership.id, role=role)
        )
        return self.reload_membership(membership.id)

    def meeting(self, circle: Circle, held_on, status: str = "scheduled", reason: str = ""):
        """A meeting of ``circle`` on ``held_on`` at the circle's time (cancelled with a reason)."""
        from circle.meetings.schedule import meeting_start
        from circle.models import Meeting

        return self._save(
            Meeting(
                circle_id=circle.id,
                held_on=held_on,
                starts_at=meeting_start(circle, held_on),
                status=status,
                cancel_reason=reason,
                cancelled_at=utcnow() if status == "cancelled" else None,
            )
        )

    def attendance(self, meeting, member: Membership, code: str, substitute_name: str = ""):
        """One attendance row (no mails: the row is written directly)."""
        from circle.models import Attendance

        return self._save(
            Attendance(
                circle_id=meeting.circle_id,
                meeting_id=meeting.id,
                membership_id=member.id,
                code=code,
                substitute_name=substitute_name or ("Sam Stellvertreter" if code == "S" else ""),
            )
        )

    def slip(self, giver: Membership, receiver: Membership, day, amount=None) -> int:
        """A referral from ``giver`` to ``receiver`` given on ``day``, or with ``amount``
        (minor units) closed business ``giver`` reports, thanking ``receiver``; entered
        through the services as ``giver``, so every rule of a slip applies. Returns its id."""
        from circle.referrals import services as referrals

        with self.app.test_request_context():
            circle = db.session.get(Circle, giver.circle_id)
            actor = db.session.get(Membership, giver.id)
            if amount is None:
                entry = referrals.give_referral(
                    circle, actor, referrals.ReferralInput(receiver_id=receiver.id, given_on=day)
                )
            else:
                entry = referrals.report_closed_business(
                    circle,
                    actor,
                    referrals.BusinessInput(
                        thanked_id=receiver.id, amount_minor=amount, closed_on=day
                    ),
                )
            db.session.commit()
            entry_id = entry.id
            db.session.remove()
        return entry_id

    def payment(self, member: Membership, start, end, paid_on, amount: int = 60_000):
        """A manual dues payment of ``member`` for ``start``..``end`` (minor units, EUR)."""
        from circle.models import Payment

        return self._save(
            Payment(
                circle_id=member.circle_id,
                membership_id=member.id,
                source="manual",
                amount_minor=amount,
                currency="EUR",
                period_start=start,
                period_end=end,
                paid_on=paid_on,
            )
        )

    def joined(self, member: Membership, when) -> Membership:
        """Move a membership's ``joined_at`` back (an aware datetime), e.g. before old meetings."""
        with self.app.test_request_context():
            row = db.session.get(Membership, member.id)
            row.joined_at = when
            db.session.commit()
            db.session.remove()
        return self.reload_membership(member.id)

    def many_circles(self, circles: int, seats: int) -> None:
        """``circles`` circles of ``seats`` members each, named "Hochzeit Gast …" and all about
        weddings, inserted in bulk and put into the directory's search index (a crowd of
        other circles that a circle's pages must not read)."""
        professions = [self.profession(f"Hochzeitsberuf {n}").id for n in range(seats)]
        with self.app.app_context():
            circle_ids = (
                db.session.execute(
                    insert(Circle).returning(Circle.id),
                    [{"name": f"Hochzeitskreis {c}", "city": "Köln"} for c in range(circles)],
                )
                .scalars()
                .all()
            )
            user_ids = (
                db.session.execute(
                    insert(User).returning(User.id),
                    [
                        {
                            "email": f"gast{n}@hochzeit.example",
                            "stored_name": f"Hochzeit Gast {n}",
                            "password_hash": "x",
                        }
                        for n in range(circles * seats)
                    ],
                )
                .scalars()
                .all()
            )
            db.session.execute(
                insert(Membership),
                [
                    {
                        "circle_id": circle_ids[n // seats],
                        "user_id": user_id,
                        "profession_id": professions[n % seats],
                        "role": "member",
                        "status": "active",
                    }
                    for n, user_id in enumerate(user_ids)
                ],
            )
            refresh(db.session.connection(), user_ids)
            db.session.commit()
