"""Referral and closed-business rules at service level (the pages and the API call these),
and their mails: sent only with the commit, an unreachable mail server loses the mail,
never the member's entry."""

import logging
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from circle.auditlog.record import history
from circle.core.errors import (
    Conflict,
    Forbidden,
    NotAMember,
    NotFound,
    SelfReferral,
    ValidationFailed,
)
from circle.core.money import parse_plain_amount
from circle.core.weeks import today_for, week_of
from circle.models import ClosedBusiness, OutboxMail, Referral
from circle.referrals import reading
from circle.referrals import services as rs
from tests.apps import deliver_pending


@pytest.fixture
def pair(make, db):
    """A circle with an admin and two members (Fotograf and Apotheker), attached to ctx."""
    admin = make.user(name="Anna Admin")
    circle = make.circle(admin=admin)
    photo = make.member(circle, make.user(name="Jens Fotograf"), profession="Fotograf")
    pharma = make.member(circle, make.user(name="Petra Apotheke"), profession="Apotheker")
    merge = db.session.merge
    return merge(circle), merge(make.admin_seat(circle)), merge(photo), merge(pharma)


def _today():
    """Today where the factories' circles meet (Europe/Berlin), not on this machine."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def _ref(receiver, day=None, **kw):
    return rs.ReferralInput(receiver_id=receiver.id, given_on=day or _today(), **kw)


def _count(db, model):
    return db.session.execute(select(func.count(model.id))).scalar_one()


def test_a_referral_goes_to_another_active_member(ctx, db, pair, outbox):
    circle, _admin, photo, pharma = pair
    referral = rs.give_referral(circle, photo, _ref(pharma, hotness=4, prospect_name="Freund"))
    db.session.commit()
    assert (referral.giver_id, referral.receiver_id, referral.status) == (
        photo.id,
        pharma.id,
        "new",
    )
    mails = outbox()
    assert [m["To"] for m in mails] == [pharma.user.email]
    assert (
        "Jens Fotograf" in mails[0]["Subject"]
        and "Freund" in mails[0].get_body(("plain",)).get_content()
    )


def test_nobody_refers_to_themselves(ctx, pair):
    circle, _admin, photo, _pharma = pair
    with pytest.raises(SelfReferral):
        rs.give_referral(circle, photo, _ref(photo))


def test_receivers_outside_the_circle_are_not_members(ctx, db, make, pair):
    circle, _admin, photo, _pharma = pair
    elsewhere = make.circle()
    stranger = make.member(elsewhere, profession="Bäcker")
    former = make.member(circle, profession="Metzger", status="removed")
    for other in (stranger, former):
        with pytest.raises(NotAMember):
            rs.give_referral(circle, photo, _ref(other))
    assert _count(db, Referral) == 0


def test_several_referrals_are_all_or_nothing(ctx, db, pair):
    circle, admin, photo, pharma = pair
    with pytest.raises(SelfReferral) as refused:
        rs.give_referrals(circle, photo, [_ref(pharma), _ref(photo), _ref(admin)])
    assert refused.value.field == "1.receiver_id"
    db.session.rollback()
    assert _count(db, Referral) == 0


def test_only_admins_give_in_another_members_name(ctx, pair):
    circle, admin, photo, pharma = pair
    with pytest.raises(Forbidden):
        rs.give_referral(circle, pharma, _ref(admin, giver_id=photo.id))
    referral = rs.give_referral(circle, admin, _ref(pharma, giver_id=photo.id))
    assert referral.giver_id == photo.id and referral.created_by_id == admin.user_id


@pytest.mark.parametrize("hotness", [0, 6])
def test_hotness_is_one_to_five(ctx, pair, hotness):
    circle, _admin, photo, pharma = pair
    with pytest.raises(ValidationFailed):
        rs.give_referral(circle, photo, _ref(pharma, hotness=hotness))


def test_dates_cannot_lie_in_the_circles_future(ctx, pair):
    circle, _admin, photo, pharma = pair
    tomorrow = today_for(circle) + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        rs.give_referral(circle, photo, _ref(pharma, day=tomorrow))
    assert refused.value.field == "given_on"
    with pytest.raises(ValidationFailed):
        rs.give_referral(circle, photo, _ref(pharma, day=date(1999, 12, 31)))


def test_today_follows_the_circles_time_zone(make, ctx):
    circle = make.circle(timezone="Pacific/Kiritimati")  # UTC+14
    late_utc = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert today_for(circle, late_utc) == date(2026, 11, 22)


def test_weeks_start_on_the_meeting_day_across_daylight_saving(make, ctx):
    circle = make.circle(meeting_weekday=2)  # Wednesday, Europe/Berlin
    # Summer time starts on Sunday 29 March 2026, ends on Sunday 25 October 2026.
    assert week_of(circle, date(2026, 3, 29)) == (date(2026, 3, 25), date(2026, 3, 31))
    assert week_of(circle, date(2026, 3, 24)) == (date(2026, 3, 18), date(2026, 3, 24))
    assert week_of(circle, date(2026, 10, 28)) == (date(2026, 10, 28), date(2026, 11, 3))
    # Just after midnight local time, in summer and in winter time.
    assert today_for(circle, datetime(2026, 10, 24, 22, 30, tzinfo=UTC)) == date(2026, 10, 25)
    assert today_for(circle, datetime(2026, 10, 25, 22, 30, tzinfo=UTC)) == date(2026, 10, 25)
    assert today_for(circle, datetime(2026, 10, 25, 23, 30, tzinfo=UTC)) == date(2026, 10, 26)


def test_status_moves_forward_and_only_the_receiver_moves_it(ctx, pair):
    circle, admin, photo, pharma = pair
    referral = rs.give_referral(circle, photo, _ref(pharma))
    with pytest.raises(Forbidden):
        rs.set_status(circle, photo, referral.id, "contacted")
    rs.set_status(circle, pharma, referral.id, "contacted")
    rs.set_status(circle, pharma, referral.id, "won")
    with pytest.raises(Conflict):
        rs.set_status(circle, pharma, referral.id, "new")
    assert rs.set_status(circle, admin, referral.id, "lost").status == "lost"  # correction
    actions = [e.action for e in history(circle.id, "referral", referral.id)]
    assert actions == ["create", "status", "status", "status"]


def test_closed_business_is_credited_to_the_giver(ctx, db, pair, outbox):
    circle, _admin, photo, pharma = pair
    referral = rs.give_referral(circle, pharma, _ref(photo))
    business = rs.report_closed_business(
        circle,
        photo,
        rs.BusinessInput(
            thanked_id=pharma.id,
            amount_minor=120_000,
            closed_on=_today(),
            referral_id=referral.id,
        ),
    )
    db.session.commit()
    assert (business.thanked_id, business.reporter_id, business.currency) == (
        pharma.id,
        photo.id,
        "EUR",
    )
    assert db.session.get(Referral, referral.id).status == "won"
    today = _today()
    giver = reading.totals(circle, pharma.id, today, today)
    receiver = reading.totals(circle, photo.id, today, today)
    assert (giver.given, giver.revenue_generated, giver.revenue_received) == (1, 120_000, 0)
    assert (receiver.received, receiver.revenue_received, receiver.revenue_generated) == (
        1,
        120_000,
        0,
    )
    thanks = [m for m in outbox() if m["To"] == pharma.user.email]
    assert len(thanks) == 1 and "1.200,00" in thanks[0].get_body(("plain",)).get_content()


def test_the_thank_you_mail_hides_the_amount_when_the_circle_says_so(ctx, db, pair, outbox):
    circle, _admin, photo, pharma = pair
    circle.show_thank_amount = False
    rs.report_closed_business(circle, photo, rs.BusinessInput(pharma.id, 120_000, _today()))
    db.session.commit()  # the mail follows the commit
    thanks = [m for m in outbox() if m["To"] == pharma.user.email]
    assert len(thanks) == 1 and "1.200" not in thanks[0].get_body(("plain",)).get_content()


def test_a_referral_of_another_pair_cannot_be_linked(ctx, pair):
    circle, admin, photo, pharma = pair
    other = rs.give_referral(circle, admin, _ref(pharma))
    with pytest.raises(ValidationFailed) as refused:
        rs.report_closed_business(
            circle, photo, rs.BusinessInput(pharma.id, 100, _today(), referral_id=other.id)
        )
    assert refused.value.field == "referral_id"


def test_referrals_of_another_circle_are_not_found(ctx, make, db, pair):
    circle, _admin, photo, pharma = pair
    elsewhere = make.circle()
    a = db.session.merge(make.member(elsewhere, profession="A"))
    b = db.session.merge(make.member(elsewhere, profession="B"))
    foreign = rs.give_referral(db.session.merge(elsewhere), a, _ref(b))
    with pytest.raises(NotFound):
        rs.set_status(circle, pharma, foreign.id, "won")
    with pytest.raises(NotFound):
        rs.report_closed_business(
            circle, photo, rs.BusinessInput(pharma.id, 100, _today(), referral_id=foreign.id)
        )


def test_sums_of_many_amounts_are_exact(ctx, db, pair):
    circle, _admin, photo, pharma = pair
    rng = random.Random(42)
    texts = [f"{rng.randint(0, 99_999)}.{rng.randint(1, 99):02d}" for _ in range(300)]
    for text in texts:
        rs.report_closed_business(
            circle,
            photo,
            rs.BusinessInput(pharma.id, parse_plain_amount(text, "EUR"), _today()),
            notify=False,
        )
    exact = sum(Decimal(t) for t in texts)
    total = reading.totals(circle, pharma.id, _today(), _today()).revenue_generated
    assert Decimal(total).scaleb(-2) == exact
    stored = db.session.execute(select(func.sum(ClosedBusiness.amount_minor))).scalar_one()
    assert stored == total


def test_voided_entries_leave_the_totals_and_keep_their_reason(ctx, db, pair):
    circle, admin, photo, pharma = pair
    referral = rs.give_referral(circle, photo, _ref(pharma))
    business = rs.report_closed_business(circle, pharma, rs.BusinessInput(photo.id, 5000, _today()))
    with pytest.raises(ValidationFailed):
        rs.void_referral(circle, photo, referral.id, "  ")
    with pytest.raises(Forbidden):
        rs.void_business(circle, photo, business.id, "not mine")
    rs.void_referral(circle, photo, referral.id, "Doppelt erfasst")
    rs.void_business(circle, admin, business.id, "Falscher Betrag")
    with pytest.raises(Conflict):
        rs.void_referral(circle, photo, referral.id, "again")
    db.session.commit()
    t = reading.totals(circle, photo.id, _today(), _today())
    assert (t.given, t.revenue_generated) == (0, 0)
    assert _count(db, Referral) == 1  # kept, not deleted
    assert db.session.get(Referral, referral.id).void_reason == "Doppelt erfasst"


def test_corrections_are_audited_with_before_and_after(ctx, db, pair):
    circle, admin, photo, pharma = pair
    business = rs.report_closed_business(circle, pharma, rs.BusinessInput(photo.id, 500, _today()))
    rs.correct_business(
        circle, admin, business.id, rs.BusinessInput(photo.id, 550, _today(), kind="repeat")
    )
    db.session.commit()
    entries = history(circle.id, "closed_business", business.id)
    assert [e.action for e in entries] == ["create", "edit"]
    assert entries[1].before == {"amount_minor": 500, "kind": "new"}
    assert entries[1].after == {"amount_minor": 550, "kind": "repeat"}
    assert entries[1].actor_id == admin.user_id


def test_a_plain_member_cannot_see_another_pairs_slip(ctx, pair):
    circle, admin, photo, pharma = pair
    referral = rs.give_referral(circle, admin, _ref(pharma))
    with pytest.raises(NotFound):
        reading.visible_referral(circle, photo, referral.id)
    assert reading.visible_referral(circle, pharma, referral.id).id == referral.id


# --- mail leaves only with the commit; an outage delays the mail, never loses the slip --


def test_a_referral_mail_waits_for_the_commit_and_a_rollback_sends_none(app, ctx, db, pair, outbox):
    circle, _admin, photo, pharma = pair
    rs.give_referral(circle, photo, _ref(pharma, prospect_name="Freund"))
    [waiting] = db.session.execute(select(OutboxMail)).scalars().all()
    assert (waiting.to_address, waiting.status) == (pharma.user.email, "pending")
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))  # nothing sent yet
    db.session.rollback()
    assert outbox() == []  # the entry is gone, so is its mail
    assert db.session.execute(select(func.count(Referral.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(OutboxMail.id))).scalar_one() == 0

    rs.give_referral(circle, photo, _ref(pharma, prospect_name="Freund"))
    db.session.commit()
    assert [m["To"] for m in outbox()] == [pharma.user.email]


def test_an_unreachable_mail_server_does_not_lose_the_referral(app, ctx, db, pair, caplog):
    circle, _admin, photo, pharma = pair
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9/?starttls=false"  # discard port: refused
    referral = rs.give_referral(circle, photo, _ref(pharma))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="circle.mail"):
        run = deliver_pending(app)
    assert (run.sent, run.retried) == (0, 1)
    assert db.session.get(Referral, referral.id) is not None
    mail = db.session.execute(select(OutboxMail)).scalar_one()
    assert (mail.status, mail.attempts) == ("pending", 1)  # kept for the next attempt
    assert "failed, retry" in caplog.text and pharma.user.email in caplog.text
