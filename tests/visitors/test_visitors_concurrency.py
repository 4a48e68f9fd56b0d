"""The visitor limit holds under concurrent requests (PostgreSQL: row lock on the visitor)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from circle.auth.services import create_api_token
from circle.extensions import db
from circle.meetings.schedule import ensure_meetings
from circle.models import Circle, Meeting, VisitorVisit
from tests.factories import Factory

pytestmark = pytest.mark.postgres_only

REQUESTS = 30


def test_concurrent_visits_never_exceed_the_limit(committed_app):
    make = Factory(committed_app)
    circle = make.circle()
    host = make.user()
    make.officer(make.member(circle, host), "visitor_host")
    inviter = make.member(circle)
    with committed_app.test_request_context():
        ensure_meetings(db.session.get(Circle, circle.id))
        meetings = list(
            db.session.execute(
                select(Meeting.id).where(Meeting.circle_id == circle.id).order_by(Meeting.held_on)
            ).scalars()
        )
        # One token per request: a shared token's last_used_at would serialise them.
        tokens = [
            create_api_token(db.session.merge(host), f"concurrency {i}")[1] for i in range(REQUESTS)
        ]
        db.session.commit()
        db.session.remove()
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    client = committed_app.test_client()
    created = client.post(
        f"/api/v1/circles/{circle.id}/visitors",
        json={
            "name": "Vera Visit",
            "profession": "Architektin",
            "invited_by_id": inviter.id,
            "meeting_id": meetings[0],
        },
        headers=headers,
    )
    assert created.status_code == 201
    url = f"/api/v1/circles/{circle.id}/visitors/{created.get_json()['id']}/visits"
    barrier = Barrier(REQUESTS)

    def visit(i: int) -> tuple[int, str]:
        barrier.wait(timeout=30)
        response = committed_app.test_client().post(
            url,
            json={"meeting_id": meetings[1 + i % 12]},
            headers={"Authorization": f"Bearer {tokens[i]}"},
        )
        return response.status_code, (response.get_json(silent=True) or {}).get("code", "")

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(visit, range(REQUESTS)))

    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, statuses  # the limit is 2; one visit was already there
    assert statuses[409] == REQUESTS - 1, statuses
    with committed_app.app_context():
        visits = db.session.execute(
            select(func.count(VisitorVisit.id)).where(VisitorVisit.circle_id == circle.id)
        ).scalar_one()
        db.session.remove()
    assert visits == 2
