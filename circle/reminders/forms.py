"""The form of the reminder choices: which reminders to get. (The one-click link's page
has a button and no form class: the signed link is its permission, and mail clients post
to it without a session, RFC 8058.)"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from circle.web.forms import FlaskForm


class ReminderChoicesForm(FlaskForm):
    """The reminders the user gets."""

    weekly = BooleanField(_l("The day before each meeting: what I logged this week"))
    absence = BooleanField(_l("After an absence: how many I have and when my seat is at risk"))
    dues = BooleanField(_l("When my dues are overdue"))
    risk = BooleanField(
        _l("Every week, for officers who see who is at risk: the seats at risk in my circles")
    )
