"""Seat rules at service level: one seat per profession, the seat limit, the waitlist."""

import pytest
from sqlalchemy import select

from circle.circles.access import seats_taken
from circle.core.errors import AlreadyMember, CircleFull, Conflict, ProfessionTaken
from circle.membership import invitations
from circle.membership import services as ms
from circle.membership.professions import get_or_create_profession
from circle.models import Membership, Profession


def _actor(db, circle):
    return db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
    ).scalar_one()


def test_profession_names_are_matched_case_and_space_insensitively(ctx, db):
    a = get_or_create_profession("Fotograf")
    b = get_or_create_profession("  FOTOGRAF ")
    c = get_or_create_profession("fotograf")
    assert a.id == b.id == c.id
    assert db.session.scalars(select(Profession)).all() == [a]


def test_second_member_of_a_profession_is_refused_with_the_holders_name(make, ctx, db):
    circle = make.circle()
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    with pytest.raises(ProfessionTaken) as refused:
        invitations.add_member(circle, _actor(db, circle), "new@example.org", "Neu", " fotograf")
    assert "Fotograf" in refused.value.message
    assert "Max Muster" in refused.value.message
    db.session.rollback()
    assert seats_taken(circle.id) == 2


def test_full_circle_refuses_and_says_how_many_seats(make, ctx, db):
    circle = make.circle(seat_limit=3)
    make.member(circle, profession="Apotheker")
    make.member(circle, profession="Fotograf")
    with pytest.raises(CircleFull) as refused:
        invitations.add_member(circle, _actor(db, circle), "x@example.org", "X", "Steuerberater")
    assert "3" in refused.value.message
    assert seats_taken(circle.id) == 3


def test_removed_member_frees_the_seat_and_keeps_the_history(make, ctx, db):
    circle = make.circle()
    photographer = make.member(circle, profession="Fotograf")
    ms.remove(circle, _actor(db, circle), photographer.id)
    db.session.commit()
    kept = db.session.get(Membership, photographer.id)
    assert kept.status == "removed" and kept.ended_at is not None
    again = invitations.add_member(circle, _actor(db, circle), "neu@example.org", "Neu", "Fotograf")
    assert again.reserves_seat and again.profession.name == "Fotograf"


def test_the_last_admin_cannot_be_removed_or_demoted(make, ctx, db):
    circle = make.circle()
    admin = _actor(db, circle)
    with pytest.raises(Conflict):
        ms.remove(circle, admin, admin.id)
    with pytest.raises(Conflict):
        ms.set_role(circle, admin, admin.id, "member")


def test_taken_profession_leads_to_the_waitlist_and_a_freed_seat_is_offered(make, ctx, db, outbox):
    circle = make.circle()
    holder = make.member(circle, profession="Fotograf")
    hopeful = make.user(name="Hopeful")
    with pytest.raises(ProfessionTaken):
        ms.apply(circle, hopeful, "Fotograf")
    waiting = ms.apply(circle, hopeful, "Fotograf", waitlist=True)
    assert waiting.status == "waitlisted"
    ms.remove(circle, _actor(db, circle), holder.id)
    db.session.commit()
    assert db.session.get(Membership, waiting.id).offered_at is not None
    offers = [m for m in outbox() if m["To"] == hopeful.email]
    assert len(offers) == 1
    assert offers[0]["Subject"].startswith("Ein Platz ist frei")  # in the user's language
    seat = ms.accept_offer(circle, hopeful)
    assert seat.status == "active"


def test_a_user_cannot_apply_twice(make, ctx):
    circle = make.circle()
    user = make.user()
    ms.apply(circle, user, "Architekt")
    with pytest.raises(AlreadyMember):
        ms.apply(circle, user, "Bäcker")


def test_changing_profession_follows_the_seat_rules(make, ctx, db):
    circle = make.circle()
    make.member(circle, profession="Fotograf")
    other = make.member(circle, profession="Apotheker")
    with pytest.raises(ProfessionTaken):
        ms.change_profession(circle, _actor(db, circle), other.id, "FOTOGRAF")
    moved = ms.change_profession(circle, _actor(db, circle), other.id, "Drogist")
    assert moved.profession.name == "Drogist"


def test_seating_without_notice_sends_no_mail(make, ctx, db, outbox):
    circle = make.circle()
    seat = ms.seat_directly(circle, _actor(db, circle), "alt@example.org", "Alt", "Bäcker")
    assert seat.status == "active"
    assert outbox() == []
    invitations.add_member(circle, _actor(db, circle), "neu@example.org", "Neu", "Metzger")
    db.session.commit()  # mails leave once the transaction is committed
    invitation = outbox()
    assert [m["To"] for m in invitation] == ["neu@example.org"]
    assert invitation[0]["Subject"] == f"Einladung zu {circle.name}"
