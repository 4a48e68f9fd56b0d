"""HTML pages for referrals and closed business: the week view, the quick slip and
thank-you forms for a phone, slips, my open referrals and my ledger.

Views stay thin: a form parses, a service of ``circle.referrals.services`` decides inside
one unit of work, and a refusal comes back on the field (or the row) it concerns. Every
page belongs to an active member of the circle; another circle's ids answer 404, and a
slip is shown only to the members involved and the admins. Importing this package
registers every page on ``bp``.
"""

from circle.referrals.views import ledger, quick, slips, waiting, week
from circle.referrals.views.common import bp, day_label

__all__ = ["bp", "day_label", "ledger", "quick", "slips", "waiting", "week"]
