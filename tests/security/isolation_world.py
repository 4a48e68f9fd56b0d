"""Two circles full of objects, for the isolation matrix and the header checks.

Circle A is the prober's; circle B holds the secrets (names, prospects, amounts) that must
never show up in an answer to someone outside B.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from PIL import Image

from circle.activity.services import (
    CreditInput,
    OneToOneInput,
    add_education_credit,
    record_one_to_one,
)
from circle.auth.services import create_api_token, make_reset_token
from circle.auth.verification import make_confirm_token
from circle.core.clock import utcnow
from circle.core.security import new_token, token_hash
from circle.core.weeks import today_for
from circle.dues.services import PlanInput, record_manual_payment, set_plan
from circle.extensions import db
from circle.imports import jobs as import_jobs
from circle.meetings import ical
from circle.membership.invitations import invite
from circle.models import Circle, Import, Membership, UserSession
from circle.profiles.services import ProfileInput, save_profile, set_picture
from circle.referrals.services import (
    BusinessInput,
    ReferralInput,
    give_referral,
    report_closed_business,
)
from circle.reminders import choices
from circle.visitors.services import record_visitor


#: Strings only circle B's pages contain: they must never reach anyone outside B.
def _photo() -> bytes:
    """A small JPEG for the members' profile photos."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


_PHOTO = _photo()

SECRETS = {
    "B": [
        "Zacharias Geheimrat",
        "Berta Verborgen",
        "Paul Prospekt",
        "prospekt@geheim.example",
        "Vera Besucherin",
        "98.765,43",
        "98,765.43",
        "9876543",
        "Geheimnotiz",
    ],
}


@dataclass
class Side:
    """One circle and the ids of its objects (the values of path parameters)."""

    circle: Circle
    admin: Membership
    member: Membership
    other: Membership
    applicant: Membership
    ids: dict[str, object] = field(default_factory=dict)


def _side(make, app, key: str, names: tuple[str, str, str]) -> Side:
    """Build one circle with members, slips, a meeting, visitors, dues, an import, tokens."""
    admin_name, member_name, other_name = names
    admin_user = make.user(name=admin_name, email=f"admin-{key}@example.org", locale="en")
    circle = make.circle(admin=admin_user, name=f"Kreis {key}")
    member = make.member(circle, make.user(name=member_name, locale="en"), profession=f"Foto {key}")
    other = make.member(circle, make.user(name=other_name, locale="en"), profession=f"Apo {key}")
    make.officer(other, "visitor_host")
    applicant = make.member(circle, profession=f"Bewerb {key}", status="applicant")
    admin = make.reload_membership(
        next(m.id for m in _memberships(app, circle.id) if m.user_id == admin_user.id)
    )
    side = Side(circle, admin, member, other, applicant)
    with app.test_request_context():
        c = db.session.get(Circle, circle.id)
        adm = db.session.get(Membership, admin.id)
        mem = db.session.get(Membership, member.id)
        today = today_for(c)
        meeting = make_meeting(make, c, today)
        referral = give_referral(
            c,
            mem,
            ReferralInput(
                receiver_id=adm.id,
                given_on=today,
                prospect_name="Paul Prospekt" if key == "B" else "Anton Kunde",
                prospect_email="prospekt@geheim.example" if key == "B" else "",
                note="Geheimnotiz" if key == "B" else "",
            ),
        )
        business = report_closed_business(
            c,
            adm,
            BusinessInput(
                thanked_id=mem.id,
                amount_minor=9876543 if key == "B" else 1000,
                closed_on=today,
                referral_id=referral.id,
            ),
        )
        one_to_one = record_one_to_one(c, mem, OneToOneInput(other_id=adm.id, met_on=today))
        credit = add_education_credit(
            c, mem, CreditInput(topic="Buch", minutes=60, completed_on=today)
        )
        visitor = record_visitor(
            c,
            adm,
            name="Vera Besucherin" if key == "B" else "Gustav Gast",
            profession="Gärtnerei",
            invited_by_id=mem.id,
            meeting_id=meeting.id,
        )
        set_plan(c, adm, PlanInput(amount_minor=12000))
        record_manual_payment(
            c, adm, mem.id, 12000, today, today + timedelta(days=364), today, reference="R1"
        )
        imported = Import(
            circle_id=c.id,
            created_by_id=adm.user_id,
            file_sha256="0" * 64,
            format="circle_csv",
            rows=0,
        )
        db.session.add(imported)
        job = import_jobs.start(c, adm.user, b"date,giver\n", filename="slips.csv")
        save_profile(mem.user, ProfileInput(company=f"Firma {key}", wishes={"press": ["WDR"]}))
        set_picture(mem.user, "photo", _PHOTO)
        invitation, invitation_token = invite(c, adm, f"new-{key}@example.org", "Neu", "Neu")
        token, api_token = create_api_token(adm.user, "probe")
        calendar_token = ical.issue_token(mem)
        reset_token = make_reset_token(adm.user)
        confirm_token = make_confirm_token(adm.user, adm.user.email)
        unsubscribe_token = choices.unsubscribe_token(mem.user, "weekly")
        login = UserSession(
            user_id=adm.user.id,
            session_hash=token_hash(new_token()),
            created_at=utcnow(),
            last_seen_at=utcnow(),
        )
        db.session.add(login)
        db.session.commit()
        side.ids = {
            "circle_id": c.id,
            "member_id": mem.id,
            "member_user_id": mem.user_id,
            "picture_kind": "photo",
            "picture_size": "small",
            "referral_id": referral.id,
            "business_id": business.id,
            "meeting_id": meeting.id,
            "visitor_id": visitor.id,
            "entry_id": one_to_one.id,
            "credit_id": credit.id,
            "import_id": imported.id,
            "job_id": job.id,
            "invitation_id": invitation.id,
            "token_id": token.id,
            "session_id": login.id,
            "role": "visitor_host",
            "day": today.isoformat(),
            "invitation_token": invitation_token,
            "calendar_token": calendar_token,
            "reset_token": reset_token,
            "confirm_token": confirm_token,
            "unsubscribe_token": unsubscribe_token,
            "api_token": api_token,
            "applicant_id": applicant.id,
            "officer_id": other.id,
        }
        db.session.remove()
    make.attendance(_meeting_row(app, side.ids["meeting_id"]), member, "P")
    return side


def make_meeting(make, circle: Circle, today):
    """A meeting today (flushed in the open session, so services can use it)."""
    from circle.meetings.schedule import meeting_start
    from circle.models import Meeting

    meeting = Meeting(
        circle_id=circle.id,
        held_on=today,
        starts_at=meeting_start(circle, today),
        status="scheduled",
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _meeting_row(app, meeting_id: int):
    """A detached meeting row."""
    from circle.models import Meeting

    with app.test_request_context():
        meeting = db.session.get(Meeting, meeting_id)
        db.session.remove()
    return meeting


def _memberships(app, circle_id: int) -> list[Membership]:
    """Every membership of a circle (detached)."""
    from sqlalchemy import select

    with app.test_request_context():
        rows = list(
            db.session.execute(
                select(Membership).where(Membership.circle_id == circle_id)
            ).scalars()
        )
        db.session.remove()
    return rows


def build_world(make, app) -> dict[str, Side]:
    """Circle A (the prober's) and circle B (the secrets)."""
    return {
        "A": _side(make, app, "A", ("Anna Admin", "Max Mitglied", "Olga Offizierin")),
        "B": _side(make, app, "B", ("Zacharias Geheimrat", "Berta Verborgen", "Bruno Beamter")),
    }
