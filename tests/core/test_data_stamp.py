"""``Circle.data_stamp``: the database changes it with every write to a circle's data, so
that a result kept under it (``circle.core.memo``) is never shown after the data changed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select, text, update

from circle.balance.totals import new_stamps
from circle.core.clock import utcnow
from circle.extensions import db
from circle.meetings.schedule import meeting_start
from circle.models import Attendance, Circle, Meeting, Membership, Profile, User

#: Tables with a ``circle_id`` whose writes do not change the stamp, and why.
NOT_STAMPED = {
    # The worker's bookkeeping: never shown on a page.
    "outbox_mails",
    "reminders_sent",
    "dues_reminders_sent",
    "absence_warnings_sent",
    # The import's jobs and uploads: what an import writes is stamped where it lands.
    "imports",
    "import_jobs",
    # Slips: each write path sets ``slips_stamp`` (tested with the balance), whose update
    # of the circle's row changes the data stamp; the running totals change with them.
    "referrals",
    "closed_business",
    "other_slips",
    "pair_totals",
    "member_months",
    # The directory's search index: made from profiles and memberships, which are stamped.
    "profile_search",
}

#: Tables of a user's own data that change the stamps of the user's circles.
USER_TABLES = {"profile_images", "profiles", "referral_wishes"}


def _stamp(circle_id: int) -> int:
    """The circle's stamp as the database holds it now."""
    return db.session.execute(select(Circle.data_stamp).where(Circle.id == circle_id)).scalar_one()


def _stamped_tables() -> set[str]:
    """The tables that carry a trigger named for the stamp."""
    if db.engine.dialect.name == "postgresql":
        query = (
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'data_stamp%'"
        )
    else:
        query = (
            "SELECT DISTINCT tbl_name FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'data_stamp%'"
        )
    return set(db.session.execute(text(query)).scalars())


def test_every_table_of_a_circle_is_stamped_or_named_as_not(app, ctx):
    """A new table with a ``circle_id`` is a decision: stamped by a trigger, or listed above."""
    inspector = inspect(db.engine)
    with_circle = {
        table
        for table in inspector.get_table_names()
        if "circle_id" in {c["name"] for c in inspector.get_columns(table)}
    }
    stamped = _stamped_tables()
    assert with_circle - NOT_STAMPED <= stamped
    assert not stamped & NOT_STAMPED
    assert stamped == (with_circle - NOT_STAMPED) | USER_TABLES | {"users", "circles"}


def test_writes_change_the_stamp_of_their_circle_only(app, ctx, make):
    """An insert, an update and a delete each give their circle a new stamp; another
    circle's stamp stays; reading changes nothing."""
    circle, other = make.circle(), make.circle()
    before, other_before = _stamp(circle.id), _stamp(other.id)
    day = date(2026, 11, 4)
    meeting = Meeting(circle_id=circle.id, held_on=day, starts_at=meeting_start(circle, day))
    db.session.add(meeting)
    db.session.flush()
    inserted = _stamp(circle.id)
    assert inserted != before
    meeting.status = "cancelled"
    meeting.cancel_reason = "Feiertag"
    meeting.cancelled_at = utcnow()
    db.session.flush()
    updated = _stamp(circle.id)
    assert updated != inserted
    db.session.delete(meeting)
    db.session.flush()
    assert _stamp(circle.id) != updated
    assert _stamp(other.id) == other_before
    db.session.execute(select(Meeting).where(Meeting.circle_id == circle.id)).all()
    assert _stamp(other.id) == other_before


def test_attendance_and_members_change_the_stamp(app, ctx, make):
    """Recording attendance or changing a membership is a change of the circle's data."""
    circle = make.circle()
    member = make.member(circle)
    meeting = make.meeting(circle, date(2026, 11, 4))
    before = _stamp(circle.id)
    db.session.add(
        Attendance(circle_id=circle.id, meeting_id=meeting.id, membership_id=member.id, code="P")
    )
    db.session.flush()
    recorded = _stamp(circle.id)
    assert recorded != before
    db.session.execute(
        update(Membership)
        .where(Membership.id == member.id)
        .values(status="left", ended_at=utcnow())
    )
    assert _stamp(circle.id) != recorded


def test_the_circles_own_row_and_its_slips_stamp_change_it(app, ctx, make):
    """A setting of the circle changes the stamp, and so does every slip change (through
    ``slips_stamp``); an update that sets the stamp itself keeps that value."""
    circle = make.circle()
    before = _stamp(circle.id)
    db.session.execute(update(Circle).where(Circle.id == circle.id).values(city="Bonn"))
    renamed = _stamp(circle.id)
    assert renamed != before
    new_stamps([circle.id])
    db.session.flush()
    assert _stamp(circle.id) != renamed
    db.session.execute(update(Circle).where(Circle.id == circle.id).values(data_stamp=42))
    assert _stamp(circle.id) == 42


def test_a_users_name_and_profile_change_the_stamps_of_their_circles(app, ctx, make):
    """A member's new name or profile shows in each circle they belong to: each gets a new
    stamp; a column no page shows (the last password change) changes none."""
    user = make.user()
    first, second, elsewhere = make.circle(), make.circle(), make.circle()
    make.member(first, user)
    make.member(second, user)
    before = {c.id: _stamp(c.id) for c in (first, second, elsewhere)}
    db.session.execute(update(User).where(User.id == user.id).values(stored_name="Neu"))
    renamed = {c.id: _stamp(c.id) for c in (first, second, elsewhere)}
    assert renamed[first.id] != before[first.id]
    assert renamed[second.id] != before[second.id]
    assert renamed[elsewhere.id] == before[elsewhere.id]
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    assert _stamp(first.id) == renamed[first.id]
    db.session.add(Profile(user_id=user.id, company="Fotostudio"))
    db.session.flush()
    assert _stamp(first.id) != renamed[first.id]
    assert _stamp(second.id) != renamed[second.id]
    assert _stamp(elsewhere.id) == before[elsewhere.id]
