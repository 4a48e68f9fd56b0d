"""The selects' roster (``roster_names``): the same members in the same order with the
same names as the roster the pages list, read as plain rows."""

from __future__ import annotations

from circle.circles.access import Listed, roster, roster_names
from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import User


def test_the_selects_list_the_roster_in_its_order(app, make):
    circle = make.circle(admin=make.user(name="Zora Admin"))
    make.member(circle, make.user(name="Bea Fotografin"), profession="Fotografie")
    make.member(circle, make.user(name="Anton Apotheker"), profession="Apotheke")
    make.member(circle, make.user(name="Carl Ohne"), profession="Zimmerei", status="left")
    erased = make.member(circle, make.user(name="Dora Gelöscht"), profession="Bäckerei")
    with app.test_request_context():
        db.session.get(User, erased.user_id).erased_at = utcnow()
        db.session.commit()
        listed = roster_names(circle.id)
        expected = [
            Listed(m.id, m.user.name, m.profession.name if m.profession else None)
            for m in roster(circle.id)
        ]
    assert listed == expected
    assert [m.name for m in listed] == [
        "Anton Apotheker",
        "Former member",
        "Bea Fotografin",
        "Zora Admin",
    ]
