"""What the membership tests share: the members page of a circle and its memberships as
stored (all of them, or the active ones by name and profession)."""

from __future__ import annotations

from sqlalchemy import select

from circle.extensions import db
from circle.models import Membership


def manage_url(circle) -> str:
    """The members page of a circle."""
    return f"/circles/{circle.id}/members/manage"


def memberships(app, circle_id: int) -> list[Membership]:
    """Every membership of a circle, fresh from the database."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(Membership).where(Membership.circle_id == circle_id).order_by(Membership.id)
            ).scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    return rows


def active(app, circle_id: int) -> dict[str, str]:
    """Active members of a circle: user name -> profession name."""
    return {
        m.user.name: (m.profession.name if m.profession else "")
        for m in memberships(app, circle_id)
        if m.status == "active"
    }
