"""Under concurrent requests (PostgreSQL): the seat cap holds (row lock on the circle), and
logins that plan the same circle's meetings at once create each meeting once."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from circle.auth.services import create_api_token
from circle.extensions import db
from circle.meetings.schedule import WEEKS_AHEAD
from circle.models import Invitation, Meeting, Membership, User, profession_key
from tests.factories import PASSWORD, Factory
from tests.pages import csrf_token

pytestmark = pytest.mark.postgres_only

REQUESTS = 100
# 30 professions for 100 requests: many ask for the same one, spelled differently.
PROFESSIONS = [f"Beruf {i}" for i in range(30)]


def _spelling(i: int) -> str:
    name = PROFESSIONS[i % len(PROFESSIONS)]
    return [name, name.upper(), f"  {name.lower()} "][i % 3]


def test_a_hundred_concurrent_seat_requests_fill_exactly_the_free_seats(committed_app):
    make = Factory(committed_app)
    admin = make.user(name="Admin")
    circle = make.circle(admin=admin, seat_limit=8)  # the admin holds one seat
    make.member(circle, profession="Bestand A")
    make.member(circle, profession="Bestand B")  # 3 taken, 5 free
    with committed_app.test_request_context():
        _, token = create_api_token(db.session.merge(admin), "concurrency")
        db.session.commit()
        db.session.remove()

    barrier = Barrier(REQUESTS)
    url = f"/api/v1/circles/{circle.id}/members"

    def seat_request(i: int) -> tuple[int, str]:
        client = committed_app.test_client()
        barrier.wait(timeout=30)
        response = client.post(
            url,
            json={
                "email": f"bewerber{i}@example.org",
                "name": f"Bewerber {i}",
                "profession": _spelling(i),
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.get_json(silent=True) or {}
        return response.status_code, body.get("code", "")

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(seat_request, range(REQUESTS)))

    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 5, statuses
    assert statuses[201] + statuses[409] == REQUESTS, statuses  # no 500, no other answer
    assert {code for status, code in results if status == 409} <= {
        "profession_taken",
        "circle_full",
    }

    with committed_app.app_context():
        active = (
            db.session.execute(
                select(Membership).where(
                    Membership.circle_id == circle.id, Membership.status == "active"
                )
            )
            .scalars()
            .all()
        )
        reserved = (
            db.session.execute(select(Invitation).where(Invitation.circle_id == circle.id))
            .scalars()
            .all()
        )
        # Each accepted request reserved a seat by invitation: 3 seated + 5 reserved.
        assert len(active) == 3 and len(reserved) == 5
        assert all(i.reserves_seat for i in reserved)
        names = [m.profession.name for m in active] + [i.profession.name for i in reserved]
        keys = Counter(profession_key(name) for name in names)
        assert max(keys.values()) == 1, keys
        # Refused requests wrote nothing, and nobody got an account or a seat unasked.
        applicants = db.session.execute(
            select(func.count()).select_from(User).where(User.email.like("bewerber%"))
        ).scalar_one()
        assert applicants == 0
        db.session.remove()


def test_members_logging_in_at_once_plan_each_meeting_once(committed_app):
    """Every login plans the coming meetings of the member's circles; twelve members of a
    new circle logging in at the same moment all get in, and each week has one meeting."""
    make = Factory(committed_app)
    circle = make.circle(admin=make.user(name="Admin"))
    members = [make.member(circle, make.user(name=f"Mitglied {i}")) for i in range(12)]
    barrier = Barrier(len(members))

    def log_in(member) -> int:
        client = committed_app.test_client()
        page = client.get("/login").get_data(as_text=True)
        barrier.wait(timeout=30)
        response = client.post(
            "/login",
            data={"email": member.user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        statuses = list(pool.map(log_in, members))

    assert statuses == [302] * len(members)
    with committed_app.app_context():
        days = (
            db.session.execute(select(Meeting.held_on).where(Meeting.circle_id == circle.id))
            .scalars()
            .all()
        )
        db.session.remove()
    assert len(days) == WEEKS_AHEAD + 1
    assert len(set(days)) == len(days)
