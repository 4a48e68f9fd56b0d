"""Meetings, attendance and the weekly report over the API.

The rules live in ``circle.meetings``; these endpoints only translate JSON into their
inputs. Rights come from the permission table (``circle.roles.permissions``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import gettext as _

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_meetings import (
    AttendanceIn,
    AttendanceOut,
    CancelIn,
    MeetingList,
    MeetingOut,
    WeekReportOut,
    week_report_payload,
)
from circle.api.schemas_referrals import PeriodQuery
from circle.circles.access import circle_for_user
from circle.core.checks import check_range
from circle.core.errors import NotFound
from circle.core.weeks import today_for
from circle.meetings import report, services
from circle.meetings.locks import is_locked
from circle.roles.permissions import can

MEETINGS = "/circles/<int:circle_id>/meetings"
MEETING = MEETINGS + "/<int:meeting_id>"
WEEK = "/circles/<int:circle_id>/weeks/<day>"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The default period of the list: 12 weeks back to 12 weeks ahead.
DEFAULT_WEEKS = 12


def _day(text: str) -> date:
    """The ``{day}`` of a week path; anything but a real ``YYYY-MM-DD`` names no week."""
    if _ISO_DAY.match(text or ""):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise NotFound(_("Week not found."))


@endpoint(
    MEETINGS,
    "GET",
    summary="List meetings",
    tag="meetings",
    query=PeriodQuery,
    response=MeetingList,
)
def list_meetings(circle_id, query):
    """The circle's meetings held `from`..`to` (default: 12 weeks back to 12 weeks ahead).

    Meetings are planned 12 weeks ahead from the circle's settings (at each login, when a
    week is locked, when settings change, and daily); reading them writes nothing.
    Cancelled ones are listed with `status: cancelled` and their `cancel_reason`. Every
    member may list them.
    """
    circle, _actor = circle_for_user(current_user(), circle_id)
    today = today_for(circle)
    start = query.get("start") or today - timedelta(weeks=DEFAULT_WEEKS)
    end = query.get("end") or today + timedelta(weeks=DEFAULT_WEEKS)
    check_range(start, end)
    return {"items": services.meetings_between(circle, start, end)}


def _attendance(circle, actor, meeting) -> dict:
    """The meeting's rows the actor may see: all with `record_attendance`, else their own."""
    rows = list(services.attendance_at(circle, meeting).values())
    if not can(actor, "record_attendance"):
        rows = [r for r in rows if r.membership_id == actor.id]
    return {
        "meeting_id": meeting.id,
        "locked": is_locked(circle, meeting.held_on),
        "items": sorted(rows, key=lambda r: r.membership_id),
    }


@endpoint(
    MEETING + "/attendance",
    "GET",
    summary="Show a meeting's attendance",
    tag="meetings",
    response=AttendanceOut,
)
def get_attendance(circle_id, meeting_id):
    """The attendance recorded for a meeting.

    Holders of `record_attendance` see every member's row; other members see only their own.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    meeting = services.meeting_in(circle, meeting_id)
    return _attendance(circle, actor, meeting)


@endpoint(
    MEETING + "/attendance",
    "PUT",
    summary="Record a meeting's attendance",
    tag="meetings",
    body=AttendanceIn,
    response=AttendanceOut,
    problems=("forbidden", "conflict"),
)
def put_attendance(circle_id, meeting_id, data):
    """Replace the attendance of a meeting: every member holding a seat, once, all or nothing.

    Codes: `P` present, `A` absent, `L` late, `M` medical, `S` substitute (with
    `substitute_name`). Needs `record_attendance` (403 `forbidden`); a cancelled meeting
    answers 409 `conflict`; a meeting not yet begun, a missing member or a bad row 422
    `validation_error` (nothing is saved). After the week's lock, changes are recorded as
    corrections. Members get a mail at their 1st, 2nd and 3rd absence.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    meeting = services.meeting_in(circle, meeting_id)
    items = [
        services.AttendanceInput(
            membership_id=item["member_id"],
            code=item["code"],
            substitute_name=item["substitute_name"],
        )
        for item in data["items"]
    ]
    services.record_attendance(circle, actor, meeting_id, items)
    return _attendance(circle, actor, meeting)


@endpoint(
    MEETING + "/cancel",
    "POST",
    summary="Cancel a meeting",
    tag="meetings",
    body=CancelIn,
    response=MeetingOut,
    problems=("forbidden", "conflict"),
)
def cancel_meeting(circle_id, meeting_id, data):
    """Cancel a meeting (e.g. a holiday) with a `reason`; it then counts for no absence.

    Needs `manage_meetings` (403 `forbidden`); an already cancelled meeting is 409 `conflict`.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return services.cancel_meeting(circle, actor, meeting_id, data["reason"])


@endpoint(
    WEEK + "/report",
    "GET",
    summary="Show a weekly report",
    tag="meetings",
    response=WeekReportOut,
    problems=("forbidden", "validation_error"),
)
def get_report(circle_id, day):
    """The week containing `day` (`YYYY-MM-DD`): totals of referrals, closed business and
    attendance; `provisional` until the week is locked.

    Needs `lock_weekly_report` (403 `forbidden`); a week that has not begun is 422.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return week_report_payload(report.week_report(circle, actor, _day(day), lists=False))


@endpoint(
    WEEK + "/lock",
    "POST",
    summary="Lock a weekly report",
    tag="meetings",
    response=WeekReportOut,
    problems=("forbidden", "conflict", "validation_error"),
)
def lock_report(circle_id, day):
    """Lock the report of the week containing `day`: its totals become final.

    Afterwards, changes to that week's entries are corrections (admins only) and new slips
    dated in it count in the next open week. Needs `lock_weekly_report` (403 `forbidden`);
    a second lock is 409 `conflict`; a week that has not begun is 422.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    report.lock_week(circle, actor, _day(day))
    return week_report_payload(report.week_report(circle, actor, _day(day), lists=False))
