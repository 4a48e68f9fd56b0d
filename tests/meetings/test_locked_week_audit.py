"""A referral's status moved, or a meeting cancelled or restored, inside a locked week is a
correction: audited with the action ``correct``, like attendance changed after the lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.meetings import report
from circle.meetings import services as meetings
from circle.models import AuditEntry, Circle, Membership
from circle.referrals import services as referrals
from tests.meetings.chapter import LAST_WEEK, Chapter, make_chapter, this_week_start


@pytest.fixture
def chapter(app, make) -> Chapter:
    """A circle with officers, two plain members and this week's meeting."""
    return make_chapter(app, make)


def _actions(circle_id: int, entity: str, entity_id: int) -> list[str]:
    """The audit actions of one entry, oldest first."""
    return list(
        db.session.execute(
            select(AuditEntry.action)
            .where(
                AuditEntry.circle_id == circle_id,
                AuditEntry.entity == entity,
                AuditEntry.entity_id == entity_id,
            )
            .order_by(AuditEntry.id)
        ).scalars()
    )


def test_a_status_change_inside_a_locked_week_is_audited_as_a_correction(app, chapter, make):
    locked_day = LAST_WEEK + timedelta(days=1)
    moved = make.slip(chapter.fritz, chapter.paula, locked_day)
    linked = make.slip(chapter.fritz, chapter.paula, locked_day)
    open_week = make.slip(chapter.fritz, chapter.paula, this_week_start())
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        report.lock_week(circle, db.session.get(Membership, chapter.vp.id), LAST_WEEK)
        paula = db.session.get(Membership, chapter.paula.id)
        referrals.set_status(circle, paula, moved, "contacted")
        referrals.set_status(circle, paula, open_week, "contacted")
        # Closed business linked to a slip of the locked week marks it won: a correction too.
        referrals.report_closed_business(
            circle,
            paula,
            referrals.BusinessInput(
                thanked_id=chapter.fritz.id,
                amount_minor=10_000,
                closed_on=this_week_start(),
                referral_id=linked,
            ),
            notify=False,
        )
        db.session.commit()
        assert _actions(circle.id, "referral", moved) == ["create", "correct"]
        assert _actions(circle.id, "referral", linked) == ["create", "correct"]
        assert _actions(circle.id, "referral", open_week) == ["create", "status"]
        [correction] = db.session.execute(
            select(AuditEntry).where(
                AuditEntry.entity_id == moved,
                AuditEntry.entity == "referral",
                AuditEntry.action == "correct",
            )
        ).scalars()
        assert (correction.before, correction.after) == ({"status": "new"}, {"status": "contacted"})
        db.session.remove()


def test_a_meeting_cancelled_or_restored_inside_a_locked_week_is_a_correction(app, make, chapter):
    past = make.meeting(chapter.circle, LAST_WEEK)
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        report.lock_week(circle, db.session.get(Membership, chapter.vp.id), LAST_WEEK)
        secretary = db.session.get(Membership, chapter.secretary.id)
        meetings.cancel_meeting(circle, secretary, past.id, "Doch Feiertag")
        meetings.restore_meeting(circle, secretary, past.id)
        meetings.cancel_meeting(circle, secretary, chapter.meeting.id, "Ostermontag")
        db.session.commit()
        assert _actions(circle.id, "meeting", past.id) == ["correct", "correct"]
        assert _actions(circle.id, "meeting", chapter.meeting.id) == ["cancel"]
        db.session.remove()
