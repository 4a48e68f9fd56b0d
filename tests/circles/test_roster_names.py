"""The selects' roster (``roster_names``): the same members in the same order with the
same names as the roster the pages list, read as plain rows."""

from __future__ import annotations

from sqlalchemy import BindParameter

from circle.circles.access import Listed, listed_with, listed_with_built, roster, roster_names
from circle.core.clock import utcnow
from circle.db import count_where
from circle.extensions import db
from circle.models import Membership, User, Visitor


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


def _invited(circle: BindParameter | int) -> tuple:
    """How many visitors each member invited, in the circle of the bound parameter (or of
    the id given)."""
    return (
        count_where(Visitor, Visitor.circle_id == circle, Visitor.invited_by_id == Membership.id),
    )


def test_columns_built_once_read_what_the_same_columns_given_read(app, make):
    one, two = make.circle(), make.circle()
    host = make.member(one, make.user(name="Anton Gastgeber"), profession="Apotheke")
    other = make.member(two, make.user(name="Bea Anderswo"), profession="Fotografie")
    with app.test_request_context():
        db.session.add_all(
            [Visitor(circle_id=one.id, name=f"Gast {i}", invited_by_id=host.id) for i in (1, 2)]
        )
        db.session.add(Visitor(circle_id=two.id, name="Gast 3", invited_by_id=other.id))
        db.session.commit()
        for circle, member in ((one, host), (two, other)):
            built = listed_with_built(circle.id, _invited)
            assert built == listed_with(circle.id, *_invited(circle.id))
            assert {listed.id: n for listed, n in built}[member.id] == (2 if circle is one else 1)
