"""Reminder mails the day before a circle's meeting: what each member logged this week.

Run daily (cron) by ``flask circle send-reminders``. For every circle whose meeting is
tomorrow in its own time zone (a cancelled meeting sends nothing), every active member
gets one mail in their language with this week's referrals given, closed business
reported, one-to-ones and education credits, and a link to the week view. A
``ReminderSent`` row per member and week (unique) makes a second run send nothing, also
when two runs overlap: the row is inserted in a savepoint before the mail goes out, and
each member's row is committed with their mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from circle.activity.services import WeekCounts, logged_between
from circle.circles.access import roster
from circle.core.weeks import today_for, week_start
from circle.db import add_once, unit_of_work
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.meetings.schedule import ensure_meetings, meeting_on
from circle.models import Circle, Membership, ReminderSent
from circle.reminders import choices

log = logging.getLogger(__name__)


@dataclass
class CircleRun:
    """What one run did for one circle."""

    circle: str
    meeting_on: date | None
    sent: int = 0
    already: int = 0
    failed: int = 0
    declined: int = 0  # members who chose not to get the weekly reminder
    skipped: str = ""


@dataclass
class RunSummary:
    """What a run did for every circle."""

    circles: list[CircleRun] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Mails sent in this run."""
        return sum(c.sent for c in self.circles)

    @property
    def failed(self) -> int:
        """Mails that could not be sent (retried on the next run)."""
        return sum(c.failed for c in self.circles)

    @property
    def already(self) -> int:
        """Members skipped because their reminder of the week went out before."""
        return sum(c.already for c in self.circles)


def tomorrows_meeting(circle: Circle, today: date):
    """The circle's meeting tomorrow (its meetings generated if due), or None."""
    tomorrow = today + timedelta(days=1)
    meeting = meeting_on(circle, tomorrow)
    if meeting is None and tomorrow.weekday() == circle.meeting_weekday:
        ensure_meetings(circle, today)
        meeting = meeting_on(circle, tomorrow)
    return meeting


def reminder_text(circle: Circle, member: Membership, counts: WeekCounts, start: date, end: date):
    """Subject and body of a member's reminder, in the current locale."""
    subject = _("Tomorrow's meeting of %(circle)s: your week", circle=circle.name)
    lines = [
        _("Hello %(name)s,", name=member.user.name),
        "",
        _(
            "tomorrow %(circle)s meets. This is what you logged from %(start)s to %(end)s:",
            circle=circle.name,
            start=start.isoformat(),
            end=end.isoformat(),
        ),
        "",
        _("Referrals given: %(n)s", n=counts.referrals_given),
        _("Closed business reported: %(n)s", n=counts.business_reported),
        _("One-to-ones: %(n)s", n=counts.one_to_ones),
        _("Education credits: %(n)s", n=counts.education_credits),
        "",
        _("Anything missing? Log it in the week view:"),
        external_url("referrals.week", circle_id=circle.id, day=start.isoformat()),
    ]
    return subject, "\n".join(lines)


def remind_circle(circle: Circle, today: date) -> CircleRun:
    """Send one circle's reminders if it meets tomorrow; each member in its own commit."""
    run = CircleRun(circle.name, None)
    with unit_of_work(db.session):
        meeting = tomorrows_meeting(circle, today)
    if meeting is None:
        run.skipped = "no meeting tomorrow"
        return run
    run.meeting_on = meeting.held_on
    if meeting.is_cancelled:
        run.skipped = "meeting cancelled"
        return run
    start = week_start(circle, today)
    members = roster(circle.id)
    counts = logged_between(circle, [m.id for m in members], start, today)
    for member in members:
        if not choices.wants(member.user, "weekly"):
            run.declined += 1
            continue
        try:
            with unit_of_work(db.session):
                sent = ReminderSent(circle_id=circle.id, membership_id=member.id, week_start=start)
                if not add_once(db.session, sent):
                    run.already += 1
                    continue
                with force_locale(member.user.locale):
                    subject, body = reminder_text(circle, member, counts[member.id], start, today)
                send_mail(
                    member.user.email,
                    subject,
                    body,
                    circle_id=circle.id,
                    headers=choices.unsubscribe_headers(member.user, "weekly"),
                )
        except Exception:
            # Nothing was recorded for this member: the next run tries again.
            log.exception("reminder to membership %s failed", member.id)
            run.failed += 1
        else:
            run.sent += 1
    return run


def send_reminders(today: date | None = None) -> RunSummary:
    """Remind the members of every circle that meets tomorrow (``today``: for tests/cron)."""
    summary = RunSummary()
    circle_ids = list(db.session.execute(select(Circle.id).order_by(Circle.id)).scalars())
    for circle_id in circle_ids:
        circle = db.session.get(Circle, circle_id)
        summary.circles.append(remind_circle(circle, today or today_for(circle)))
    return summary
