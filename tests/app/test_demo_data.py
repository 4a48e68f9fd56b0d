"""The demo circle as ``make run`` shows it, loaded once for this module (``demo_app``):
a year of referrals with the lopsided pair first on the balance page, officers, scores,
absences and dues in every state."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from circle.demo import DEMO_CIRCLE, DEMO_PASSWORD
from circle.extensions import db
from circle.models import Circle, Membership, User
from tests.clients import AuthActions
from tests.pages import plain, section, text

pytestmark = pytest.mark.slow


def test_demo_year_holds_the_lopsided_pair(demo_app):
    from circle.models import ClosedBusiness, Referral

    with demo_app.app_context():
        ids = dict(
            db.session.execute(
                select(User.email, Membership.id)
                .join(Membership.user)
                .where(User.email.in_(["jens@koeln-sued.example", "petra@koeln-sued.example"]))
            ).all()
        )
        photo, pharma = ids["jens@koeln-sued.example"], ids["petra@koeln-sued.example"]

        def count(giver, receiver):
            return db.session.execute(
                select(func.count(Referral.id)).where(
                    Referral.giver_id == giver, Referral.receiver_id == receiver
                )
            ).scalar_one()

        def earned(reporter, thanked):
            return db.session.execute(
                select(func.sum(ClosedBusiness.amount_minor)).where(
                    ClosedBusiness.reporter_id == reporter, ClosedBusiness.thanked_id == thanked
                )
            ).scalar_one()

        to_photo, to_pharma = count(pharma, photo), count(photo, pharma)
        assert to_photo == to_pharma >= 12  # equal in number, every month both ways
        assert 1080 <= earned(photo, pharma) / to_photo / 100 <= 1320  # about 1,200 € each
        assert 4.5 <= earned(pharma, photo) / to_pharma / 100 <= 5.5  # about 5 € each
        total = db.session.execute(select(func.count(Referral.id))).scalar_one()
        assert total >= 52 * 8  # a year of weekly referrals
        db.session.remove()


def test_demo_chapter_has_officers_history_scores_and_dues(demo_app):
    """``make run`` shows a chapter in motion: every colour but grey, one seat at risk,
    locked weeks with the last two open, guests credited, and dues paid, in grace, overdue."""
    from circle.core.weeks import today_for, week_start
    from circle.dues import services as dues
    from circle.meetings import absence
    from circle.models import MembershipRole, WeeklyReport
    from circle.scores import services as scores

    with demo_app.test_request_context():
        circle = db.session.execute(select(Circle).where(Circle.name == DEMO_CIRCLE)).scalar_one()
        offices = set(
            db.session.execute(
                select(User.email, MembershipRole.role)
                .join(Membership, Membership.id == MembershipRole.membership_id)
                .join(Membership.user)
            ).all()
        )
        assert ("thomas@koeln-sued.example", "vice_president") in offices
        assert ("markus@koeln-sued.example", "secretary_treasurer") in offices

        at_risk = [s.member.name for s in absence.standings(circle) if s.at_risk]
        assert at_risk == ["Oliver Krause"]

        colours = scores.distribution(scores.chapter_scores(circle))
        assert colours["green"] >= 1 and colours["yellow"] >= 1 and colours["red"] >= 1

        this_week = week_start(circle, today_for(circle))
        locked = set(
            db.session.execute(
                select(WeeklyReport.week_start).where(WeeklyReport.circle_id == circle.id)
            ).scalars()
        )
        assert locked and this_week not in locked
        assert max(locked) < this_week - timedelta(weeks=1)

        states = [status.state for _m, status in dues.dues_list(circle)]
        assert {"paid", "grace", "overdue"} <= set(states)
        db.session.remove()


def test_the_demo_pair_of_fotograf_and_apotheker_is_the_first_lopsided_line(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        ids = dict(
            db.session.execute(
                select(User.email, Membership.id)
                .join(Membership.user)
                .where(User.email.in_(["jens@koeln-sued.example", "petra@koeln-sued.example"]))
            ).all()
        )
        circle_id = db.session.execute(
            select(Membership.circle_id).where(Membership.id == ids["jens@koeln-sued.example"])
        ).scalar_one()
        db.session.remove()
    photo, pharma = ids["jens@koeln-sued.example"], ids["petra@koeln-sued.example"]
    AuthActions(client).login("anna@koeln-sued.example", DEMO_PASSWORD)
    response = client.get(f"/circles/{circle_id}/balance")  # the default period
    assert response.status_code == 200
    html = text(response)
    first = re.search(
        r'<li class="bal-line" data-pair="([\d-]+)" data-winner="(\d+)">(.*?)</li>',
        section(html, "lopsided-pairs"),
        re.S,
    )
    assert first.group(1) == f"{min(photo, pharma)}-{max(photo, pharma)}"
    assert first.group(2) == str(photo)  # the photographer profits
    line = plain(first.group(3))
    assert line.startswith("Fotograf (Jens Becker)") and ", Apotheker (Petra Wagner)" in line
    # The lopsided pairs come before the scales: the first thing on the page.
    assert html.index('id="lopsided-pairs"') < html.index('id="scales-table"')


def test_every_seated_demo_member_has_a_profile_with_wishes_and_a_photo(demo_app):
    """``make run`` shows the profile pages full: a fellow member reads the photographer's."""
    from circle.models import Profile, ProfileImage, ReferralWish

    with demo_app.app_context():
        circle = db.session.execute(select(Circle).where(Circle.name == DEMO_CIRCLE)).scalar_one()
        seated = (
            db.session.execute(
                select(Membership).where(
                    Membership.circle_id == circle.id, Membership.status == "active"
                )
            )
            .scalars()
            .all()
        )
        users = {m.user_id for m in seated}
        with_profile = set(db.session.execute(select(Profile.user_id)).scalars())
        with_photo = set(
            db.session.execute(
                select(ProfileImage.user_id).where(ProfileImage.kind == "photo")
            ).scalars()
        )
        with_wishes = set(db.session.execute(select(ReferralWish.user_id)).scalars())
        jens = next(m for m in seated if m.user.email == "jens@koeln-sued.example")
        circle_id = circle.id
        db.session.remove()
    assert users <= with_profile and users <= with_photo and users <= with_wishes
    client = demo_app.test_client()
    AuthActions(client).login("petra@koeln-sued.example", DEMO_PASSWORD)
    page = text(client.get(f"/circles/{circle_id}/members/{jens.id}/profile"))
    assert "Hochzeits-, Portrait- und Bewerbungsfotos" in page
    assert "Brautpaare" in page and 'alt="Foto von Jens Becker"' in page
