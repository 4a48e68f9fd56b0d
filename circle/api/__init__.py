"""JSON API v1 under ``/api/v1``: bearer tokens, problem+json errors, an OpenAPI 3.1 document.

The endpoints live in ``accounts``, ``circles``, ``members``, ``referrals``, ``imports`` and
``balance``; each one is declared with ``circle.api.endpoint.endpoint``, which mounts it here
and documents it.
"""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Importing the modules registers their routes on ``api_bp``.
from circle.api import (  # noqa: E402
    accounts,
    activity,
    applications,
    balance,
    circles,
    imports,
    meetings,
    members,
    openapi,
    privacy,
    referrals,
    roles,
    scores,
    visitors,
)

__all__ = [
    "accounts",
    "activity",
    "api_bp",
    "applications",
    "balance",
    "circles",
    "imports",
    "meetings",
    "members",
    "openapi",
    "privacy",
    "referrals",
    "roles",
    "scores",
    "visitors",
]
