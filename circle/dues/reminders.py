"""Overdue dues: the worker reminds each member whose dues are overdue (past the grace
days), once per due day, in the member's language, with a link to the dues page. Members
who chose not to get these (``circle.reminders.choices``) are left out; every reminder
carries its one-click unsubscribe link. The admins' dues page shows the same state."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from circle.circles.access import each_circle
from circle.core.weeks import today_for
from circle.db import add_once
from circle.dues.services import dues_overview
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.models import Circle, DuesReminderSent
from circle.reminders import choices


def remind_overdue(circle: Circle, today: date | None = None) -> int:
    """Remind the circle's members whose dues are overdue; how many were reminded. Only
    flushes: the caller commits (the rows and the mails together)."""
    _plan, rows = dues_overview(circle, today or today_for(circle))
    reminded = 0
    for member, status in rows:
        if status.state != "overdue" or not choices.wants(member.user, "dues"):
            continue
        sent = DuesReminderSent(
            circle_id=circle.id, membership_id=member.id, due_since=status.due_since
        )
        if not add_once(db.session, sent):  # reminded of this due day already
            continue
        user = member.user
        with force_locale(user.locale):
            body = "\n".join(
                [
                    _(
                        "Your dues for %(circle)s are overdue since %(day)s.",
                        circle=circle.name,
                        day=format_date(status.due_since, "long"),
                    ),
                    _("Please pay them, or talk to your treasurer:"),
                    "",
                    external_url("dues.member", circle_id=circle.id),
                ]
            )
            send_mail(
                user.email,
                _("Dues overdue in %(circle)s", circle=circle.name),
                body,
                circle_id=circle.id,
                headers=choices.unsubscribe_headers(user, "dues"),
            )
        reminded += 1
    db.session.flush()
    return reminded


def remind_all_overdue() -> int:
    """Every circle's overdue reminders, each circle in its own commit; how many in all."""
    return each_circle(remind_overdue)
