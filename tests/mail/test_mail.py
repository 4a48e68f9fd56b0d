"""Mail leaves only with the commit of what it is about; a mail server outage loses a mail,
never the member's entry."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from circle.models import Referral
from circle.referrals import services as rs
from tests.referrals.test_referral_rules import _ref, pair

__all__ = ["pair"]


def test_a_referral_mail_waits_for_the_commit_and_a_rollback_sends_none(ctx, db, pair, outbox):
    circle, _admin, photo, pharma = pair
    rs.give_referral(circle, photo, _ref(pharma, prospect_name="Freund"))
    assert outbox() == []  # not before the entry is saved
    db.session.rollback()
    assert outbox() == []  # the entry is gone, so is its mail
    assert db.session.execute(select(func.count(Referral.id))).scalar_one() == 0

    rs.give_referral(circle, photo, _ref(pharma, prospect_name="Freund"))
    db.session.commit()
    assert [m["To"] for m in outbox()] == [pharma.user.email]


def test_an_unreachable_mail_server_does_not_lose_the_referral(app, ctx, db, pair, caplog):
    circle, _admin, photo, pharma = pair
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9/?starttls=false"  # discard port: refused
    with caplog.at_level(logging.ERROR, logger="circle.mail"):
        referral = rs.give_referral(circle, photo, _ref(pharma))
        db.session.commit()
    assert db.session.get(Referral, referral.id) is not None
    assert "could not be sent" in caplog.text and pharma.user.email in caplog.text
