"""Personal data over the API: ``GET /me/export``."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_privacy import ExportOut
from circle.privacy.export import export_data


@endpoint(
    "/me/export",
    "GET",
    summary="Export my data",
    tag="accounts",
    response=ExportOut,
    rate_limit="10 per hour",
)
def export():
    """Everything Circle holds about the caller as JSON (DSGVO), the same as the account page's
    download: profile, memberships, referrals given and received (prospect details only where
    the caller gave or entered the referral), closed business, one-to-ones, education credits,
    attendance, visitors invited, payments, API tokens (never a hash) and audit entries."""
    return export_data(current_user())
