"""The weekly absence warning: once a week the worker tells a circle's officers who may
see who is at risk (``view_absence_risk``: admins, president, vice president, membership
committee) which members are at risk under the absence rule or one absence away from
it, with a link to the absences page. Nobody at risk or close: no mail.

Each officer gets it once per circle and week (``absence_warnings_sent``), in their
language, unless they turned it off (``circle.reminders.choices``, kind ``risk``); it
carries the one-click unsubscribe link. The members themselves are told after each
absence (``circle.meetings.absence.send_notices``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from circle.circles.access import each_circle, roster_query
from circle.core.weeks import today_for, week_start
from circle.db import add_once
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.meetings.absence import Standing, format_count, standings
from circle.models import AbsenceWarningSent, Circle
from circle.reminders import choices
from circle.roles.permissions import can, remember_roles, roles_column


def warn_officers(circle: Circle, today: date | None = None) -> int:
    """Mail the circle's officers this week's seats at risk (once per week each); how
    many were mailed. Only flushes: the caller commits (the rows and the mails together)."""
    today = today or today_for(circle)
    risky = [s for s in standings(circle, today) if s.at_risk or s.close]
    if not risky:
        return 0
    week = week_start(circle, today)
    mailed = 0
    seats = db.session.execute(roster_query(circle.id).add_columns(roles_column())).all()
    for officer, roles in seats:
        remember_roles(officer, roles)  # what ``can`` asks, read with the roster
        user = officer.user
        if not can(officer, "view_absence_risk") or not choices.wants(user, "risk"):
            continue
        sent = AbsenceWarningSent(circle_id=circle.id, week_start=week, membership_id=officer.id)
        if not add_once(db.session, sent):  # warned this week already
            continue
        with force_locale(user.locale):
            send_mail(
                user.email,
                _("Seats at risk in %(circle)s", circle=circle.name),
                _body(circle, risky, user.locale),
                circle_id=circle.id,
                headers=choices.unsubscribe_headers(user, "risk"),
            )
        mailed += 1
    db.session.flush()
    return mailed


def _body(circle: Circle, risky: list[Standing], locale: str) -> str:
    """The warning's text in the current locale: one line per member, the rule, the link."""
    lines = [
        _(
            "These members of %(circle)s are at risk under the absence rule, or one absence"
            " away from it:",
            circle=circle.name,
        ),
        "",
    ]
    for standing in risky:
        count = format_count(standing.count, locale)
        if standing.at_risk:
            state = _("%(count)s absences: the seat is at risk", count=count)
        else:
            state = _("%(count)s absences: one away from the limit", count=count)
        lines.append(f"- {standing.member.name}: {state}")
    lines += [
        "",
        _(
            "The rule of the circle: more than %(limit)s absences within %(months)s months"
            " put a seat at risk.",
            limit=circle.absence_limit,
            months=circle.absence_window_months,
        ),
        "",
        external_url("meetings.absences", circle_id=circle.id),
    ]
    return "\n".join(lines)


def warn_all() -> int:
    """Every circle's weekly warning, each circle in its own commit; how many in all."""
    return each_circle(warn_officers)
