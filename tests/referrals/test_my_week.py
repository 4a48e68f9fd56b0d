"""The week page reads a member's week in two statements (``reading.my_week``) and "My open
referrals" one page in one (``reading.open_received``); totals, referrals and the open
referrals page by page are the same as the direct computation."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from circle.core.paging import Keyset
from circle.core.weeks import today_for, week_start
from circle.extensions import db
from circle.models import Circle, Membership, Referral
from circle.referrals import reading, services


def test_my_week_equals_the_direct_count_over_a_random_history(app, make):
    circle = make.circle()
    seats = [make.admin_seat(circle), *(make.member(circle) for _ in range(4))]
    with app.test_request_context():
        today = today_for(db.session.get(Circle, circle.id))
    pick = random.Random(15)
    for _ in range(60):
        giver, other = pick.sample(seats, 2)
        day = today - timedelta(days=pick.randrange(0, 40))
        make.slip(giver, other, day, amount=pick.choice([None, 1_000 + pick.randrange(9_000)]))
    with app.test_request_context():
        here = db.session.get(Circle, circle.id)
        admin = db.session.get(Membership, seats[0].id)
        ids = list(db.session.execute(select(Referral.id)).scalars())
        for referral_id in pick.sample(ids, 10):
            services.void_referral(here, admin, referral_id, "Tippfehler")
        for referral_id in pick.sample(ids, 10):
            row = db.session.get(Referral, referral_id)
            if not row.is_void:
                receiver = db.session.get(Membership, row.receiver_id)
                services.set_status(here, receiver, referral_id, pick.choice(["won", "lost"]))
        db.session.commit()
        for seat in seats:
            me = db.session.get(Membership, seat.id)
            for back in range(0, 42, 7):
                start = week_start(here, today - timedelta(days=back))
                end = start + timedelta(days=6)
                week = reading.my_week(here, me, start, end)
                assert week.totals == reading.totals(here, me.id, start, end)
                assert week.referrals == reading.referrals_between(
                    here, me, start, end, mine_only=True
                )
            waiting = (
                db.session.execute(
                    select(Referral)
                    .where(
                        Referral.circle_id == here.id,
                        Referral.receiver_id == me.id,
                        Referral.voided_at.is_(None),
                        Referral.status.in_(("new", "contacted")),
                    )
                    .order_by(Referral.given_on.desc(), Referral.id.desc())
                )
                .unique()
                .scalars()
                .all()
            )
            # Walking "older" from the newest page shows each open referral once, in order.
            shown, asked = [], Keyset()
            while True:
                page = reading.open_received(here, me, asked, per_page=3)
                shown += page.items
                if page.older is None:
                    break
                asked = Keyset(before=page.older)
            assert shown == list(waiting)
        db.session.rollback()
