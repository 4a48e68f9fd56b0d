"""``My open referrals``: the referrals I received that wait for my status, a page at a
time (issue 15: the week page listed every open referral of the whole history)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for

from circle.core.paging import Keyset
from circle.models import Circle, Membership
from circle.referrals import reading
from circle.referrals.views.common import bp
from circle.web.boundary import circle_page
from circle.web.i18n import format_date


@bp.get("/circles/<int:circle_id>/referrals/open")
@circle_page()
def open_referrals(circle: Circle, me: Membership):
    """The open referrals I received, newest first, with a button per status move; older
    and newer pages by the (day, id) of the last and first shown."""
    asked = Keyset.from_args(request.args, date)
    page = reading.open_received(circle, me, asked)
    return render_template(
        "referrals/open.html",
        circle=circle,
        me=me,
        page=page,
        format_date=format_date,
        here=url_for("referrals.open_referrals", circle_id=circle.id, **asked.args()),
    )
