"""Request and response schemas of the meeting endpoints (meetings, attendance, weekly report)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from circle.api.fields import Day, Id, Length, OneOf, Text
from circle.api.schemas import In
from circle.core.money import plain_amount
from circle.meetings.services import MAX_CANCEL_REASON, MAX_SUBSTITUTE
from circle.models import ATTENDANCE_CODES, MEETING_STATUSES


class MeetingOut(Schema):
    """One weekly meeting; a cancelled one keeps its place in the list."""

    id = fields.Integer(required=True)
    held_on = Day(required=True)
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "UTC start."})
    duration_minutes = fields.Integer(required=True)
    place = fields.String(required=True)
    video_link = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(MEETING_STATUSES)})
    cancel_reason = fields.String(required=True)


class MeetingList(Schema):
    """Meetings by day."""

    items = fields.List(fields.Nested(MeetingOut), required=True)


class AttendanceItemIn(In):
    """One member's attendance: code P, A, L, M or S; S names the substitute."""

    member_id = Id(required=True)
    code = Text(required=True, validate=OneOf(list(ATTENDANCE_CODES)))
    substitute_name = Text(load_default="", validate=Length(max=MAX_SUBSTITUTE))


class AttendanceIn(In):
    """The whole attendance of a meeting: every member holding a seat, once each."""

    items = fields.List(
        fields.Nested(AttendanceItemIn),
        required=True,
        error_messages={"required": _l("This field is required."), "type": _l("Expected a list.")},
    )


class AttendanceItemOut(Schema):
    """One recorded attendance."""

    member_id = fields.Integer(required=True, attribute="membership_id")
    code = fields.String(required=True, metadata={"enum": list(ATTENDANCE_CODES)})
    substitute_name = fields.String(required=True)


class AttendanceOut(Schema):
    """A meeting's recorded attendance (members without a row are not recorded yet)."""

    meeting_id = fields.Integer(required=True)
    locked = fields.Boolean(required=True, metadata={"description": "The week's report is locked."})
    items = fields.List(fields.Nested(AttendanceItemOut), required=True)


class CancelIn(In):
    """Why the meeting is cancelled (e.g. a public holiday)."""

    reason = Text(required=True, validate=Length(min=1, max=MAX_CANCEL_REASON))


class WeekTotalsOut(Schema):
    """The week's numbers; void entries never count."""

    referrals = fields.Integer(required=True)
    inside = fields.Integer(required=True)
    outside = fields.Integer(required=True)
    business_count = fields.Integer(required=True)
    business_amount = fields.String(required=True, metadata={"example": "1200.00"})
    currency = fields.String(required=True)
    attendance = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Members per code P, A, L, M, S."},
    )
    not_recorded = fields.Integer(required=True)


class WeekReportOut(Schema):
    """One week's report: totals are provisional until the week is locked."""

    week_start = Day(required=True)
    week_end = Day(required=True)
    locked = fields.Boolean(required=True)
    provisional = fields.Boolean(required=True)
    locked_at = fields.AwareDateTime(required=True, allow_none=True)
    meeting = fields.Nested(MeetingOut, required=True, allow_none=True)
    totals = fields.Nested(WeekTotalsOut, required=True)


def week_report_payload(report) -> dict:
    """A ``report.WeekReport`` as the values ``WeekReportOut`` dumps."""
    totals = report.totals
    return {
        "week_start": report.start,
        "week_end": report.end,
        "locked": report.locked,
        "provisional": report.provisional,
        "locked_at": report.lock.locked_at if report.lock else None,
        "meeting": report.meeting,
        "totals": {
            "referrals": totals.referrals,
            "inside": totals.inside,
            "outside": totals.outside,
            "business_count": totals.business_count,
            "business_amount": plain_amount(totals.business_minor, report.circle.currency),
            "currency": report.circle.currency,
            "attendance": totals.attendance,
            "not_recorded": totals.not_recorded,
        },
    }
