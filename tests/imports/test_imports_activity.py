"""BNI One-to-One and CEU rows become one-to-ones and education credits of the members they
name; unmatched names stay slips only; the same file twice adds nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from circle.activity import services as activity_services
from circle.imports import activity, services
from circle.models import EducationCredit, OneToOne, OtherSlip
from tests.imports.support import SLIP_DATE, checked, fixture, make_people
from tests.pages import text

FILE = "bni_slips_activity.xls"


@pytest.fixture
def people(make, db):
    """Anna Schmidt (admin), Bernd Meyer, Clara Wolf, Dieter Koch in one circle."""
    return make_people(make, db)


def count(db, model) -> int:
    """Rows of ``model``."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(
    ("quantity", "minutes"),
    [
        ("", 60),
        ("1", 60),
        ("2", 120),
        ("0,5", 30),
        ("1.5 h", 90),
        ("90 min", 90),
        ("45 Minuten", 45),
        ("2 Std", 120),
        ("24", 1440),
        ("25", None),
        ("0", None),
        ("viel", None),
        ("-1", None),
    ],
)
def test_ceu_quantities_in_minutes(quantity, minutes):
    assert activity.ceu_minutes(quantity) == minutes


def test_preview_counts_one_to_ones_and_credits_of_members(ctx, db, people):
    circle, _seats = people
    summary = services.preview(circle, fixture(FILE), slip_date=SLIP_DATE)
    assert summary.errors == []
    assert summary.rows == 8
    assert summary.other_slips == {"CEU": 5, "One-to-One": 3}
    # Bernd-Clara once (BNI lists it from both sides); Dieter met someone outside.
    assert summary.one_to_ones == 1
    # Clara (2 credits), Dieter (no quantity: 1 credit), Bernd (90 min); not Hans Gast
    # (no member) and not Anna ("viel" is no quantity).
    assert summary.education_credits == 3
    assert summary.added == 8
    assert count(db, OneToOne) == count(db, EducationCredit) == count(db, OtherSlip) == 0


def test_commit_creates_them_and_the_same_file_twice_adds_nothing(ctx, db, people):
    circle, seats = people
    admin = seats["Anna Schmidt"].user
    summary = services.commit(circle, admin, fixture(FILE), slip_date=SLIP_DATE)
    db.session.commit()
    assert (summary.one_to_ones, summary.education_credits) == (1, 3)

    met = db.session.execute(select(OneToOne)).unique().scalar_one()
    bernd, clara = seats["Bernd Meyer"].id, seats["Clara Wolf"].id
    assert (met.member_a_id, met.member_b_id) == (min(bernd, clara), max(bernd, clara))
    assert (met.met_on, met.import_id, met.created_by_id) == (
        SLIP_DATE,
        summary.import_id,
        admin.id,
    )
    assert met.source_key
    credits = db.session.execute(select(EducationCredit).order_by(EducationCredit.id))
    assert [
        (c.member.user.name, c.topic, c.minutes, c.completed_on) for c in credits.unique().scalars()
    ] == [
        ("Clara Wolf", "Podcast Networking", 120, SLIP_DATE),
        ("Dieter Koch", "CEU (BNI Connect)", 60, SLIP_DATE),
        ("Bernd Meyer", "Workshop Verkauf", 90, SLIP_DATE),
    ]
    # Every row is still kept as a slip, the unmatched ones only there.
    assert count(db, OtherSlip) == 8

    again = services.preview(circle, fixture(FILE), slip_date=SLIP_DATE)
    assert (again.one_to_ones, again.education_credits, again.added) == (0, 0, 0)
    second = services.commit(circle, None, fixture(FILE), slip_date=SLIP_DATE)
    db.session.commit()
    assert second.added == 0
    assert (count(db, OneToOne), count(db, EducationCredit), count(db, OtherSlip)) == (1, 3, 8)


def test_a_one_to_one_entered_by_hand_or_voided_is_not_added_again(ctx, db, people):
    circle, seats = people
    clara, bernd = seats["Clara Wolf"], seats["Bernd Meyer"]
    entry = activity_services.record_one_to_one(
        circle, clara, activity_services.OneToOneInput(bernd.id, SLIP_DATE)
    )
    db.session.commit()
    assert services.preview(circle, fixture(FILE), slip_date=SLIP_DATE).one_to_ones == 0
    # On another day it is another meeting; voided afterwards, it is never recreated.
    later = date(2025, 3, 12)
    services.commit(circle, None, fixture(FILE), slip_date=later)
    db.session.commit()
    imported = (
        db.session.execute(select(OneToOne).where(OneToOne.met_on == later)).unique().scalar_one()
    )
    activity_services.void_one_to_one(circle, clara, imported.id, "war ein Telefonat")
    db.session.commit()
    assert services.preview(circle, fixture(FILE), slip_date=later).one_to_ones == 0
    assert entry.id != imported.id


def test_a_file_imported_before_gets_its_one_to_ones_and_credits(ctx, db, people, monkeypatch):
    circle, _seats = people
    with monkeypatch.context() as patch:  # as imports did before one-to-ones existed
        patch.setattr(activity, "plan", lambda *args: activity.ActivityPlan())
        services.commit(circle, None, fixture(FILE), slip_date=SLIP_DATE)
        db.session.commit()
    assert count(db, OtherSlip) == 8 and count(db, OneToOne) == 0
    again = services.preview(circle, fixture(FILE), slip_date=SLIP_DATE)
    assert again.other_slips == {} and again.already_imported == 8
    assert (again.one_to_ones, again.education_credits, again.added) == (1, 3, 4)
    services.commit(circle, None, fixture(FILE), slip_date=SLIP_DATE)
    db.session.commit()
    assert (count(db, OneToOne), count(db, EducationCredit), count(db, OtherSlip)) == (1, 3, 8)


def test_the_preview_page_shows_the_counts(app, client, auth, make):
    anna = make.user(name="Anna Schmidt", locale="en")
    circle = make.circle(admin=anna)
    for name in ("Bernd Meyer", "Clara Wolf", "Dieter Koch"):
        make.member(circle, make.user(name=name))
    auth.login(anna)
    response = checked(app, client, circle.id, name=FILE, day=SLIP_DATE.isoformat())
    body = text(response).replace("\n", "")
    assert response.status_code == 200
    assert 'One-to-ones between members</th><td data-count="one_to_ones">1<' in body
    assert 'Education credits of members</th><td data-count="education_credits">3<' in body
