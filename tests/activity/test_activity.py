"""One-to-ones and education credits: recorded once per pair and day, listed, voided with
an audited reason, through the real pages (with CSRF) and at service level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from circle.activity import services
from circle.core.errors import NotAMember, SelfReferral, ValidationFailed
from circle.core.weeks import today_for
from circle.db import unit_of_work
from circle.extensions import db
from circle.models import AuditEntry, EducationCredit, Membership, OneToOne
from tests.pages import any_csrf_token, element, submit, text


@pytest.fixture
def world(make):
    """A circle with Anna (admin), Bernd and Clara; Olga sits in another circle."""
    anna = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=anna, name="Kreis Köln")
    bernd = make.member(circle, make.user(name="Bernd Bau", locale="en"), profession="Bau")
    clara = make.member(circle, make.user(name="Clara Coach", locale="en"), profession="Coach")
    other = make.circle(admin=make.user(name="Olga Other", locale="en"), name="Kreis Bonn")
    return {"circle": circle, "anna": anna, "bernd": bernd, "clara": clara, "other": other}


def rows(model) -> int:
    """How many rows of ``model`` exist."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def load(model, entry_id):
    """A fresh copy of one row."""
    db.session.expire_all()
    return db.session.get(model, entry_id)


def page(circle_id: int) -> str:
    """The activity page's path."""
    return f"/circles/{circle_id}/activity"


# --- one-to-ones through the page ------------------------------------------------------


def test_a_member_records_a_one_to_one_which_both_members_see(app, client, auth, world):
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    auth.login(bernd.user)
    with app.test_request_context():
        today = today_for(db.session.get(type(circle), circle.id))
    response = submit(
        client,
        page(circle.id),
        f"/circles/{circle.id}/one-to-ones",
        {
            "met-other_id": str(clara.id),
            "met-met_on": today.isoformat(),
            "met-note": "Kaffee am Dom",
        },
    )
    assert response.status_code == 302
    shown = text(client.get(page(circle.id)))
    assert "One-to-one with Clara Coach recorded." in shown
    assert "Kaffee am Dom" in shown
    with app.app_context():
        entry = db.session.execute(select(OneToOne)).unique().scalar_one()
        # Stored once, the lower membership id first, and audited.
        assert (entry.member_a_id, entry.member_b_id) == tuple(sorted((bernd.id, clara.id)))
        audit = db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "one_to_one")
        ).scalar_one()
        assert audit.action == "create" and audit.entity_id == entry.id

    # Clara sees it in her list too, and recording it again is refused by name.
    auth.logout()
    auth.login(clara.user)
    assert "Kaffee am Dom" in text(client.get(page(circle.id)))
    again = submit(
        client,
        page(circle.id),
        f"/circles/{circle.id}/one-to-ones",
        {"met-other_id": str(bernd.id), "met-met_on": today.isoformat()},
    )
    assert again.status_code == 409
    assert "This one-to-one was already recorded by Bernd Bau." in text(again)
    with app.app_context():
        assert rows(OneToOne) == 1


def test_refusals_on_the_one_to_one_form_change_nothing(app, client, auth, world):
    circle, bernd = world["circle"], world["bernd"]
    olga_seat = world["other"]
    auth.login(bernd.user)
    action = f"/circles/{circle.id}/one-to-ones"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    cases = [
        ({"met-other_id": str(bernd.id), "met-met_on": "2025-03-01"}, "not yourself"),
        ({"met-other_id": "", "met-met_on": "2025-03-01"}, "Choose the member you met."),
        ({"met-other_id": "999999", "met-met_on": "2025-03-01"}, "not an active member"),
        ({"met-other_id": "9" * 30, "met-met_on": "2025-03-01"}, "not an active member"),
        ({"met-other_id": str(world["clara"].id), "met-met_on": tomorrow}, "in the future"),
        ({"met-other_id": str(world["clara"].id), "met-met_on": "1.3.2025"}, "2025-03-26"),
    ]
    for data, message in cases:
        response = submit(client, page(circle.id), action, data)
        assert response.status_code in (409, 422), data
        assert message in text(response), data
    with app.app_context():
        olga = db.session.execute(
            select(Membership).where(Membership.circle_id == olga_seat.id)
        ).scalar_one()
    response = submit(
        client, page(circle.id), action, {"met-other_id": str(olga.id), "met-met_on": "2025-03-01"}
    )
    assert "not an active member" in text(response)
    with app.app_context():
        assert rows(OneToOne) == 0


def test_a_one_to_one_is_voided_with_a_reason_and_stays_listed(app, client, auth, world):
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    with app.test_request_context():
        entry = services.record_one_to_one(
            db.session.get(type(circle), circle.id),
            db.session.get(Membership, bernd.id),
            services.OneToOneInput(other_id=clara.id, met_on=date(2025, 3, 5)),
        )
        db.session.commit()
        entry_id = entry.id
    auth.login(clara.user)
    action = f"/circles/{circle.id}/one-to-ones/{entry_id}/void"
    empty = submit(client, page(circle.id), action, {"void-reason": ""})
    assert empty.status_code == 422 and "Please give a reason." in text(empty)
    done = submit(client, page(circle.id), action, {"void-reason": "Doppelt erfasst"})
    assert done.status_code == 302
    shown = text(client.get(page(circle.id)))
    assert "Voided: Doppelt erfasst" in shown
    with app.app_context():
        voided = load(OneToOne, entry_id)
        assert voided.void_reason == "Doppelt erfasst" and voided.voided_at is not None
        actions = db.session.execute(
            select(AuditEntry.action).where(AuditEntry.entity == "one_to_one")
        ).scalars()
        assert list(actions) == ["create", "void"]
    # A member who was not there cannot void it: 404, as if it did not exist.
    auth.logout()
    auth.login(world["anna"])  # the admin may see it ...
    assert client.get(page(circle.id)).status_code == 200
    token = any_csrf_token(client, page(circle.id))
    again = client.post(action, data={"csrf_token": token, "void-reason": "nochmal"})
    assert again.status_code == 409  # ... but it is voided already


def test_other_members_and_other_circles_get_404_for_a_one_to_one(app, client, auth, world, make):
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    dora = make.member(circle, make.user(name="Dora Druck", locale="en"), profession="Druck")
    with app.test_request_context():
        entry = services.record_one_to_one(
            db.session.get(type(circle), circle.id),
            db.session.get(Membership, bernd.id),
            services.OneToOneInput(other_id=clara.id, met_on=date(2025, 3, 5)),
        )
        db.session.commit()
        entry_id = entry.id
    auth.login(dora.user)
    token = any_csrf_token(client, page(circle.id))
    response = client.post(
        f"/circles/{circle.id}/one-to-ones/{entry_id}/void",
        data={"csrf_token": token, "void-reason": "x"},
    )
    assert response.status_code == 404
    other = world["other"]
    assert client.get(page(other.id)).status_code == 404
    # Without the CSRF token nothing is accepted.
    no_csrf = client.post(f"/circles/{circle.id}/one-to-ones", data={"met-other_id": clara.id})
    assert no_csrf.status_code in (400, 422)
    with app.app_context():
        assert load(OneToOne, entry_id).voided_at is None


# --- one-to-ones at service level --------------------------------------------------------


def test_the_pair_is_unique_per_day_whoever_records_it(ctx, world):
    circle = db.session.get(type(world["circle"]), world["circle"].id)
    bernd = db.session.get(Membership, world["bernd"].id)
    clara = db.session.get(Membership, world["clara"].id)
    day = date(2025, 3, 5)
    with unit_of_work(db.session):
        services.record_one_to_one(circle, clara, services.OneToOneInput(bernd.id, day))
    with pytest.raises(services.AlreadyRecorded) as refused, unit_of_work(db.session):
        services.record_one_to_one(circle, bernd, services.OneToOneInput(clara.id, day))
    assert refused.value.message == "This one-to-one was already recorded by Clara Coach."
    # Another day is another one-to-one.
    with unit_of_work(db.session):
        services.record_one_to_one(
            circle, bernd, services.OneToOneInput(clara.id, day + timedelta(1))
        )
    assert rows(OneToOne) == 2


def test_a_concurrent_duplicate_is_caught_by_the_constraint(ctx, world, monkeypatch):
    circle = db.session.get(type(world["circle"]), world["circle"].id)
    bernd = db.session.get(Membership, world["bernd"].id)
    clara = db.session.get(Membership, world["clara"].id)
    day = date(2025, 3, 5)
    with unit_of_work(db.session):
        services.record_one_to_one(circle, clara, services.OneToOneInput(bernd.id, day))
    # As if Bernd's check ran before Clara's row was there: only the constraint stops it.
    real = services._existing_one_to_one
    calls = []

    def blind(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "_existing_one_to_one", blind)
    with pytest.raises(services.AlreadyRecorded) as refused, unit_of_work(db.session):
        services.record_one_to_one(circle, bernd, services.OneToOneInput(clara.id, day))
    assert "Clara Coach" in refused.value.message
    assert rows(OneToOne) == 1


def test_self_and_strangers_are_refused(ctx, world):
    circle = db.session.get(type(world["circle"]), world["circle"].id)
    bernd = db.session.get(Membership, world["bernd"].id)
    with pytest.raises(SelfReferral):
        services.record_one_to_one(
            circle, bernd, services.OneToOneInput(bernd.id, date(2025, 3, 5))
        )
    with pytest.raises(NotAMember):
        services.record_one_to_one(circle, bernd, services.OneToOneInput(10**9, date(2025, 3, 5)))


# --- education credits ---------------------------------------------------------------


def test_a_member_records_and_voids_an_education_credit(app, client, auth, world):
    circle, bernd = world["circle"], world["bernd"]
    auth.login(bernd.user)
    action = f"/circles/{circle.id}/education"
    response = submit(
        client,
        page(circle.id),
        action,
        {
            "ceu-topic": "Podcast: Empfehlungsmarketing",
            "ceu-minutes": "45",
            "ceu-completed_on": "2025-03-04",
        },
    )
    assert response.status_code == 302
    shown = text(client.get(page(circle.id)))
    assert "Education credit recorded." in shown
    assert "Podcast: Empfehlungsmarketing" in shown and "45 minutes" in shown
    for data, message in [
        ({"ceu-topic": "", "ceu-minutes": "30"}, "Please say what you learned."),
        ({"ceu-topic": "Buch", "ceu-minutes": "0"}, "from 1 to 1440"),
        ({"ceu-topic": "Buch", "ceu-minutes": "1441"}, "from 1 to 1440"),
        ({"ceu-topic": "Buch", "ceu-minutes": "zwei"}, "whole number"),
        ({"ceu-topic": "x" * 201, "ceu-minutes": "30"}, "At most 200 characters."),
    ]:
        refused = submit(client, page(circle.id), action, data)
        assert refused.status_code == 422, data
        assert message in text(refused), data
    with app.app_context():
        credit = db.session.execute(select(EducationCredit)).unique().scalar_one()
        assert (credit.minutes, credit.completed_on) == (45, date(2025, 3, 4))
        credit_id = credit.id
    void = submit(
        client,
        page(circle.id),
        f"/circles/{circle.id}/education/{credit_id}/void",
        {"void-reason": "falscher Tag"},
    )
    assert void.status_code == 302
    assert "Voided: falscher Tag" in text(client.get(page(circle.id)))
    with app.app_context():
        assert load(EducationCredit, credit_id).void_reason == "falscher Tag"

    # Clara neither sees nor voids Bernd's credit.
    auth.logout()
    auth.login(world["clara"].user)
    assert "Empfehlungsmarketing" not in text(client.get(page(circle.id)))
    token = any_csrf_token(client, page(circle.id))
    stranger = client.post(
        f"/circles/{circle.id}/education/{credit_id}/void",
        data={"csrf_token": token, "void-reason": "x"},
    )
    assert stranger.status_code == 404


def test_credit_dates_are_checked_by_the_service(ctx, world):
    circle = db.session.get(type(world["circle"]), world["circle"].id)
    bernd = db.session.get(Membership, world["bernd"].id)
    future = today_for(circle) + timedelta(days=1)
    with pytest.raises(ValidationFailed, match="future"):
        services.add_education_credit(circle, bernd, services.CreditInput("Buch", 60, future))
    with pytest.raises(ValidationFailed, match="before"):
        services.add_education_credit(
            circle, bernd, services.CreditInput("Buch", 60, date(1999, 12, 31))
        )
    assert rows(EducationCredit) == 0


def test_the_circle_page_links_to_activity_and_score(client, auth, world):
    auth.login(world["bernd"].user)
    shown = text(client.get(f"/circles/{world['circle'].id}"))
    assert f"/circles/{world['circle'].id}/activity" in shown
    assert f"/circles/{world['circle'].id}/score" in shown
    assert f'/circles/{world["circle"].id}/scores"' not in shown  # no chapter view for members


def test_each_side_of_a_one_to_one_sees_the_other_by_name(app, client, auth, world, make):
    # The list names the other member of each entry, read with the entries (not the two
    # members with their users): each side sees the other, an erased account its label.
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    with app.test_request_context():
        here = db.session.get(type(circle), circle.id)
        actor = db.session.get(Membership, bernd.id)
        services.record_one_to_one(
            here, actor, services.OneToOneInput(clara.id, today_for(here), "Dom")
        )
        db.session.commit()

    def listed(member) -> str:
        auth.login(member.user)
        shown = element(text(client.get(page(circle.id))), "one-to-one-list")
        auth.logout()
        return shown

    seen_by_bernd, seen_by_clara = listed(bernd), listed(clara)
    assert "Clara Coach" in seen_by_bernd and "Bernd Bau" not in seen_by_bernd
    assert "Bernd Bau" in seen_by_clara and "Clara Coach" not in seen_by_clara
    with app.app_context():
        db.session.get(Membership, clara.id).user.erased_at = datetime.now(UTC)
        db.session.commit()
    seen_by_bernd = listed(bernd)
    assert "Clara Coach" not in seen_by_bernd and "Former member" in seen_by_bernd
