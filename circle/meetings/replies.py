"""Are you coming? A member's answer before a meeting: yes, no, or sending a substitute.

Only a meeting that has not begun and is not cancelled takes an answer; a member answers
for themselves only. The answer may change until the meeting starts; every change is
audited (entity ``meeting_reply``) and the row is kept. What the secretary records after
the meeting is attendance (``circle.meetings.services``); the reply only tells the circle
ahead who will be there.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from circle.auditlog import record as audit
from circle.core.clock import utcnow
from circle.core.errors import Conflict, ValidationFailed
from circle.extensions import Labels, db
from circle.meetings.services import meeting_in
from circle.models import REPLY_ANSWERS, Circle, Meeting, MeetingReply, Membership

ANSWER_LABELS = {
    "yes": _l("I'm coming"),
    "no": _l("I can't come"),
    "substitute": _l("I'm sending a substitute"),
}


_ANSWERS = Labels(lambda: ANSWER_LABELS)


def answer_label(answer: str | None) -> str:
    """The words of an answer ("I'm coming"); empty when there is none."""
    return _ANSWERS(answer, "")


def reply(circle: Circle, me: Membership, meeting_id: int, answer: str) -> MeetingReply:
    """Record (or change) my answer for one meeting; only flushes.

    A meeting of another circle is NotFound; a cancelled or begun meeting is a Conflict;
    an answer other than yes, no or substitute is refused.
    """
    if answer not in REPLY_ANSWERS:
        raise ValidationFailed(_("Please choose an answer."), field="answer")
    meeting = meeting_in(circle, meeting_id)
    if meeting.is_cancelled:
        raise Conflict(_("This meeting was cancelled."))
    if meeting.starts_at <= utcnow():
        raise Conflict(_("This meeting has already begun; the secretary records attendance."))
    existing = db.session.execute(
        select(MeetingReply)
        .where(
            MeetingReply.circle_id == circle.id,
            MeetingReply.meeting_id == meeting.id,
            MeetingReply.membership_id == me.id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if existing is None:
        existing = MeetingReply(
            circle_id=circle.id, meeting_id=meeting.id, membership_id=me.id, answer=answer
        )
        db.session.add(existing)
        db.session.flush()
        after = {"meeting_id": meeting.id, "answer": answer}
        audit.record(circle.id, "meeting_reply", existing.id, "create", me.user, None, after)
    elif existing.answer != answer:
        before = {"answer": existing.answer}
        existing.answer = answer
        db.session.flush()
        audit.record(
            circle.id, "meeting_reply", existing.id, "edit", me.user, before, {"answer": answer}
        )
    return existing


def answer_of(circle: Circle, meeting: Meeting, me: Membership) -> str | None:
    """My answer for a meeting, if I gave one."""
    return db.session.execute(
        select(MeetingReply.answer).where(
            MeetingReply.circle_id == circle.id,
            MeetingReply.meeting_id == meeting.id,
            MeetingReply.membership_id == me.id,
        )
    ).scalar_one_or_none()


def answer_counts(circle: Circle, meeting: Meeting) -> dict[str, int]:
    """How many members gave each answer for a meeting (every answer listed, 0 if none)."""
    rows = db.session.execute(
        select(MeetingReply.answer, func.count())
        .where(MeetingReply.circle_id == circle.id, MeetingReply.meeting_id == meeting.id)
        .group_by(MeetingReply.answer)
    ).all()
    counts = dict.fromkeys(REPLY_ANSWERS, 0)
    counts.update(dict(rows))
    return counts
