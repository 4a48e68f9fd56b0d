"""The circle's mail deliveries for its admins (``edit_settings``): how many mails wait for
the worker, and the mails every attempt failed for, with the last reason. Other circles
answer 404, members without the right 403."""

from __future__ import annotations

from flask import Blueprint, render_template

from circle.mail.outbox import LISTED, MAX_ATTEMPTS, circle_mail
from circle.models import Circle, Membership
from circle.web.boundary import circle_page

bp = Blueprint("mail", __name__)


@bp.get("/circles/<int:circle_id>/mail")
@circle_page("edit_settings")
def deliveries(circle: Circle, me: Membership):
    """The waiting count and the newest failed deliveries of the circle's mails."""
    return render_template(
        "mail/deliveries.html",
        circle=circle,
        me=me,
        mail=circle_mail(circle.id),
        listed=LISTED,
        attempts=MAX_ATTEMPTS,
    )
