"""HTML pages of meetings: the list, one meeting (cancel, undo), attendance, my attendance,
who is at risk, the weekly report and its lock, and the calendar feed.

Views stay thin: a form parses, a service decides inside one unit of work, and a refusal
comes back on its field (or as the 403/404 page). Rights come from ``circle.roles.permissions``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from http import HTTPStatus

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from circle.circles.forms import meeting_time_label, weekday_name
from circle.core.clock import utcnow
from circle.core.errors import DomainError
from circle.core.formats import interval_text
from circle.core.paging import Keyset
from circle.core.weeks import today_for, week_start
from circle.mail.send import external_url, site_host
from circle.meetings import absence, ical, replies, report, services
from circle.meetings.forms import (
    CancelMeetingForm,
    ConfirmForm,
    ReplyForm,
    attendance_form,
    code_field,
    code_label,
    substitute_field,
)
from circle.meetings.locks import is_locked
from circle.meetings.services import AttendanceInput
from circle.models import Circle, Membership
from circle.roles.permissions import require, sees_amounts
from circle.web.boundary import attempt, circle_page, form_error, redirect_next, ui_locale
from circle.web.i18n import format_date
from circle.web.kept import page_with_body

bp = Blueprint("meetings", __name__)

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.context_processor
def _template_helpers() -> dict:
    """Formatting helpers for the meeting templates."""
    return {
        "code_label": code_label,
        "weekday_name": weekday_name,
        "meeting_time_label": meeting_time_label,
        "day_label": lambda day: format_date(day, "full"),
        "short_day": lambda day: format_date(day, "medium"),
        "absence_count": lambda count: absence.format_count(count, ui_locale()),
        "code_field": code_field,
        "substitute_field": substitute_field,
        "answer_label": replies.answer_label,
    }


def _parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` day from the URL; anything else is 404."""
    if not _ISO_DAY.match(text or ""):
        abort(404)
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _week_title(start: date) -> str:
    """A week as a date interval in the UI's language."""
    return interval_text(start, start + timedelta(days=6), "yMMMd", ui_locale())


# --- meetings ----------------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/meetings")
@circle_page()
def index(circle: Circle, me: Membership):
    """Upcoming and past meetings of the circle (every member). The body is kept in memory
    (``circle.web.kept``) under the circle's ``data_stamp``, the reader, the day and the
    language, like the pages below."""
    today = today_for(circle)

    def body() -> dict:
        """What the meetings page's body shows."""
        upcoming, past = services.meetings_overview(circle, today)
        return {"circle": circle, "me": me, "upcoming": upcoming, "past": past, "today": today}

    return page_with_body("meetings/index.html", circle, (me.id, today), body)


def _meeting_page(circle, me, meeting, cancel_form=None, status: int = 200):
    """One meeting: when and where, its state, my answer, who answered how, and the
    actions the member may take."""
    return render_template(
        "meetings/meeting.html",
        circle=circle,
        me=me,
        meeting=meeting,
        answer=replies.answer_of(circle, meeting, me),
        answers=replies.answer_counts(circle, meeting),
        reply_form=ReplyForm(formdata=None),
        now=utcnow(),
        cancel_form=cancel_form or CancelMeetingForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        today=today_for(circle),
        week=week_start(circle, meeting.held_on),
    ), status


@bp.get("/circles/<int:circle_id>/meetings/<int:meeting_id>")
@circle_page()
def show(circle: Circle, me: Membership, meeting_id: int):
    """One meeting of the circle."""
    return _meeting_page(circle, me, services.meeting_in(circle, meeting_id))


@bp.post("/circles/<int:circle_id>/meetings/<int:meeting_id>/cancel")
@circle_page()
def cancel(circle: Circle, me: Membership, meeting_id: int):
    """Cancel a meeting with a reason (``manage_meetings``)."""
    meeting = services.meeting_in(circle, meeting_id)
    require(me, "manage_meetings")
    form = CancelMeetingForm()
    if not form.validate_on_submit():
        return _meeting_page(circle, me, meeting, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    _done, error = attempt(
        lambda: services.cancel_meeting(circle, me, meeting_id, form.reason.data)
    )
    if error is not None:
        form_error(form, error)
        meeting = services.meeting_in(circle, meeting_id)
        return _meeting_page(circle, me, meeting, form, error.status)
    flash(_("The meeting was cancelled."), "success")
    return redirect(url_for("meetings.show", circle_id=circle.id, meeting_id=meeting_id))


@bp.post("/circles/<int:circle_id>/meetings/<int:meeting_id>/reply")
@circle_page()
def reply(circle: Circle, me: Membership, meeting_id: int):
    """My answer for a coming meeting: coming, not coming, or sending a substitute; back to
    the page it was given on (``next``, a local path) or the meeting."""
    meeting = services.meeting_in(circle, meeting_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    saved, error = attempt(lambda: replies.reply(circle, me, meeting_id, form.answer.data or ""))
    if error is not None:
        flash(error.message, "error")
        return _meeting_page(circle, me, meeting, status=error.status)
    flash(_("Noted: %(answer)s.", answer=replies.answer_label(saved.answer)), "success")
    return redirect_next("meetings.show", circle_id=circle.id, meeting_id=meeting_id)


@bp.post("/circles/<int:circle_id>/meetings/<int:meeting_id>/restore")
@circle_page()
def restore(circle: Circle, me: Membership, meeting_id: int):
    """Undo a cancellation (``manage_meetings``)."""
    meeting = services.meeting_in(circle, meeting_id)
    require(me, "manage_meetings")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    _done, error = attempt(lambda: services.restore_meeting(circle, me, meeting_id))
    if error is not None:
        flash(error.message, "error")
        return _meeting_page(circle, me, meeting, status=error.status)
    flash(_("The meeting takes place after all."), "success")
    return redirect(url_for("meetings.show", circle_id=circle.id, meeting_id=meeting_id))


# --- attendance --------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@circle_page()
def attendance(circle: Circle, me: Membership, meeting_id: int):
    """Record the attendance of a meeting for every member at once (``record_attendance``)."""
    meeting = services.meeting_in(circle, meeting_id)
    require(me, "record_attendance")
    sheet = services.attendance_sheet(circle, meeting)
    form = attendance_form(sheet)
    status = 200
    if form.validate_on_submit():
        items = [
            AttendanceInput(
                membership_id=member.id,
                code=form[code_field(member.id)].data or "",
                substitute_name=form[substitute_field(member.id)].data or "",
            )
            for member, _row in sheet
        ]
        _rows, error = attempt(lambda: services.record_attendance(circle, me, meeting.id, items))
        if error is not None:
            _attendance_error(form, sheet, error)
            status = error.status
        else:
            flash(_("The attendance was saved."), "success")
            return redirect(
                url_for("meetings.attendance", circle_id=circle.id, meeting_id=meeting.id)
            )
    elif form.is_submitted():
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    return render_template(
        "meetings/attendance.html",
        circle=circle,
        me=me,
        meeting=meeting,
        sheet=sheet,
        form=form,
        locked=is_locked(circle, meeting.held_on),
        today=today_for(circle),
    ), status


def _attendance_error(form, sheet, error: DomainError) -> None:
    """Show a refusal on the member's field it names (``items.<index>.<field>``)."""
    parts = (error.field or "").split(".")
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(sheet):
        member = sheet[int(parts[1])][0]
        name = (
            substitute_field(member.id) if parts[2] == "substitute_name" else code_field(member.id)
        )
        form[name].errors = [*form[name].errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.get("/circles/<int:circle_id>/attendance")
@circle_page()
def my_attendance(circle: Circle, me: Membership):
    """My attendance over the last year and my absences in the circle's window."""

    def body() -> dict:
        """What my attendance page's body shows."""
        count = absence.count_for(circle, me.id)
        return {
            "circle": circle,
            "me": me,
            "history": services.history_of(circle, me),
            "count": count,
            "at_risk": absence.is_at_risk(circle, count),
            "close": absence.is_close(circle, count),
        }

    asked = (me.id, today_for(circle))
    return page_with_body("meetings/my_attendance.html", circle, asked, body)


@bp.get("/circles/<int:circle_id>/absences")
@circle_page("view_absence_risk")
def absences(circle: Circle, me: Membership):
    """Who is at risk, or close to it, under the absence rule (``view_absence_risk``)."""
    today = today_for(circle)

    def body() -> dict:
        """What the absences page's body shows."""
        return {
            "circle": circle,
            "me": me,
            "standings": absence.standings(circle),
            "since": absence.window_start(today, circle.absence_window_months) + timedelta(days=1),
        }

    return page_with_body("meetings/absences.html", circle, (me.id, today), body)


# --- the weekly report -------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/report")
@circle_page("lock_weekly_report")
def current_report(circle: Circle, me: Membership):
    """The report of the current week (``lock_weekly_report``; other members 403)."""
    start = week_start(circle, today_for(circle))
    return redirect(url_for("meetings.week_report", circle_id=circle.id, day=start.isoformat()))


@bp.get("/circles/<int:circle_id>/weeks/<day>/report")
@circle_page()
def week_report(circle: Circle, me: Membership, day: str):
    """One week's totals, a row per member, attendance, and a page of its slips and of its
    closed business (``r_before``/``r_after``, ``b_before``/``b_after``); provisional
    until locked. The body is kept in memory (``circle.web.kept``) under the circle's
    ``data_stamp``, the week, the current week, the language, the reader (amounts and links
    as their roles allow) and the lists' places."""
    parsed = _parse_day(day)
    start, _end = report.reported_week(circle, me, parsed)
    referrals = Keyset.from_args(request.args, date, "r_")
    business = Keyset.from_args(request.args, date, "b_")
    current = week_start(circle, today_for(circle))
    following = start + timedelta(weeks=1)
    all_amounts = sees_amounts(me)

    def body() -> dict:
        """What the report's body shows."""
        return {
            "circle": circle,
            "me": me,
            "report": report.week_report(circle, me, parsed, referrals, business),
            "all_amounts": all_amounts,
            "title": _week_title(start),
            "form": ConfirmForm(formdata=None),
            "prev_day": start - timedelta(weeks=1),
            "next_day": following if following <= current else None,
        }

    # The reader: which amounts they see, which links their roles give.
    asked = (me.id, start, current, *referrals.args().items(), *business.args().items())
    return page_with_body("meetings/report.html", circle, asked, body, title=_week_title(start))


@bp.post("/circles/<int:circle_id>/weeks/<day>/lock")
@circle_page()
def lock(circle: Circle, me: Membership, day: str):
    """Lock a week's report (``lock_weekly_report``): its totals are final."""
    parsed = _parse_day(day)
    require(me, "lock_weekly_report")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    start = week_start(circle, parsed)
    _lock, error = attempt(lambda: report.lock_week(circle, me, parsed))
    if error is not None:
        flash(error.message, "error")
    else:
        flash(_("The report of the week %(week)s is locked.", week=_week_title(start)), "success")
    return redirect(url_for("meetings.week_report", circle_id=circle.id, day=start.isoformat()))


# --- the calendar feed -------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/calendar", methods=["GET", "POST"])
@circle_page()
def calendar(circle: Circle, me: Membership):
    """My secret calendar link: create one, or replace it (the old link stops working)."""
    form = ConfirmForm()
    url = None
    if form.validate_on_submit():
        token = ical.issue_token(me)
        url = external_url("meetings.feed", token=token)
    elif form.is_submitted():
        abort(400)
    return render_template(
        "meetings/calendar.html",
        circle=circle,
        me=me,
        form=ConfirmForm(formdata=None),
        url=url,
        has_link=me.calendar_token_hash is not None,
    )


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The meetings of a member's circle as iCalendar; an unknown token is 404."""
    member = ical.member_for_token(token)
    if member is None:
        abort(404)
    text = ical.feed(member.circle, site_host(), utcnow())
    response = Response(text, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
