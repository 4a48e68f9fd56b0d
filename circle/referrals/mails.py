"""The mails a slip sends: to the receiver of a new referral, to the member thanked."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from circle.core.money import format_money
from circle.mail.send import external_url, send_mail
from circle.membership.services import member_in_circle
from circle.models import (
    Circle,
    ClosedBusiness,
    Referral,
)

#: No slip is dated before this day (also guards against typos such as year 0202).

# --- mail --------------------------------------------------------------------------


def mail_new_referral(circle: Circle, referral: Referral) -> None:
    """Tell the receiver about a new referral (in the receiver's language)."""
    receiver = referral.receiver or member_in_circle(circle.id, referral.receiver_id)
    giver = referral.giver or member_in_circle(circle.id, referral.giver_id)
    with force_locale(receiver.user.locale):
        lines = [
            _(
                "%(giver)s gave you a referral in %(circle)s.",
                giver=giver.user.name,
                circle=circle.name,
            )
        ]
        if referral.prospect_name:
            lines.append(_("Contact: %(name)s", name=referral.prospect_name))
        if referral.prospect_phone:
            lines.append(_("Phone: %(phone)s", phone=referral.prospect_phone))
        if referral.prospect_email:
            lines.append(_("E-mail: %(email)s", email=referral.prospect_email))
        if referral.note:
            lines.append(_("Note: %(note)s", note=referral.note))
        lines.append("")
        lines.append(external_url("referrals.week", circle_id=circle.id))
        send_mail(
            receiver.user.email,
            _("New referral from %(giver)s", giver=giver.user.name),
            "\n".join(lines),
            circle_id=circle.id,
        )


def mail_thanks(circle: Circle, business: ClosedBusiness) -> None:
    """Tell the giver they were thanked; the amount only where the circle shows it."""
    thanked = business.thanked or member_in_circle(circle.id, business.thanked_id)
    reporter = business.reporter or member_in_circle(circle.id, business.reporter_id)
    with force_locale(thanked.user.locale):
        if circle.show_thank_amount:
            body = _(
                "%(reporter)s thanks you for closed business worth %(amount)s.",
                reporter=reporter.user.name,
                amount=format_money(business.amount_minor, business.currency, thanked.user.locale),
            )
        else:
            body = _("%(reporter)s thanks you for closed business.", reporter=reporter.user.name)
        send_mail(
            thanked.user.email,
            _("You were thanked for closed business"),
            body + "\n\n" + external_url("referrals.ledger", circle_id=circle.id),
            circle_id=circle.id,
        )
