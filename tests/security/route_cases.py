"""The table of every route that takes an id: what a plain member, another circle's
admin and a visitor without login may do there (``CASES``), and how to fill a rule with
one side's ids. Read by the isolation matrix and the security-header walk."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.clients import AuthActions
from tests.pages import any_csrf_token

PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
IGNORED = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Case:
    """What the table knows about one method of one rule."""

    member: str  # "ok": any active member may; "deny": officers or admins only
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> key in Side.ids
    cross: str = "404"  # "open": any user may (own seat); "token": the token is the credential
    # "public": no login needed (a token or a public page); "one-click": public, and its
    # POST changes something without a login by design (its own tests check it)
    anon: str = "login"
    why: str = ""


def M(**params) -> Case:
    """Any member of the circle may."""
    return Case("ok", params)


def O(**params) -> Case:  # noqa: E743 - short on purpose: the table reads as a grid
    """Officers (by permission) or admins only."""
    return Case("deny", params)


OPEN = Case("ok", cross="open", why="a user's own application: any circle of the directory")
INVITATION = Case(
    "ok", {"token": "invitation_token"}, cross="token", anon="public", why="invitee's link"
)
RESET = Case("ok", {"token": "reset_token"}, cross="token", anon="public", why="mailed link")
FEED = Case("ok", {"token": "calendar_token"}, cross="token", anon="public", why="feed secret")
CONFIRM = Case("ok", {"token": "confirm_token"}, cross="token", why="mailed link, logged in")
UNSUBSCRIBE = Case(
    "ok", {"token": "unsubscribe_token"}, cross="token", anon="public", why="one-click link"
)
#: A reminder's one-click unsubscribe (RFC 8058: a mail client posts without a session;
#: the signed token is the permission); tests/meetings/test_reminders.py checks it.
ONE_CLICK = Case(
    "ok", {"token": "unsubscribe_token"}, cross="token", anon="one-click", why="RFC 8058"
)
OWN_PICTURE = Case(
    "ok", {"kind": "picture_kind"}, cross="open", why="the user's own profile picture"
)
DECLINE = Case("ok", {"token": "invitation_token"}, cross="token", why="invitee, logged in")

CASES: dict[str, Case] = {
    # --- account ---------------------------------------------------------------
    "POST /account/tokens/<int:token_id>/revoke": O(),
    "POST /account/sessions/<int:session_id>/end": O(),
    "POST /account/profile/pictures/<kind>": OWN_PICTURE,
    "POST /account/profile/pictures/<kind>/remove": OWN_PICTURE,
    # A fellow member's picture: members of a shared circle only.
    "GET /people/<int:user_id>/pictures/<kind>/<size>": M(
        user_id="member_user_id", kind="picture_kind", size="picture_size"
    ),
    "GET /password/reset/<token>": RESET,
    "POST /password/reset/<token>": RESET,
    "GET /invitations/<token>": INVITATION,
    "POST /invitations/<token>": INVITATION,
    "POST /invitations/<token>/decline": DECLINE,
    "GET /account/confirm/<token>": CONFIRM,
    "POST /account/confirm/<token>": CONFIRM,
    "GET /calendar/<token>.ics": FEED,
    "GET /unsubscribe/<token>": UNSUBSCRIBE,
    "POST /unsubscribe/<token>": ONE_CLICK,
    # --- directory: anyone logged in may see a circle's public page and apply ----------
    "GET /directory/<int:circle_id>": OPEN,
    "POST /directory/<int:circle_id>/apply": OPEN,
    "POST /directory/<int:circle_id>/withdraw": OPEN,
    "POST /directory/<int:circle_id>/accept-offer": OPEN,
    # --- circle ------------------------------------------------------------------
    "GET /circles/<int:circle_id>": M(),
    "GET /circles/<int:circle_id>/settings": O(),
    "POST /circles/<int:circle_id>/settings": O(),
    "GET /circles/<int:circle_id>/audit": O(),
    "GET /circles/<int:circle_id>/mail": O(),
    "POST /circles/<int:circle_id>/leave": M(),
    # --- members, applications, invitations, roles ------------------------------------
    "GET /circles/<int:circle_id>/members/manage": O(),
    "POST /circles/<int:circle_id>/members": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/profession": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/remove": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/role": O(),
    "GET /circles/<int:circle_id>/members/<int:member_id>/profile": M(),
    "GET /circles/<int:circle_id>/members": M(),
    "GET /circles/<int:circle_id>/members.vcf": M(),
    "GET /circles/<int:circle_id>/members/<int:member_id>/vcard": M(),
    "GET /circles/<int:circle_id>/members/<int:member_id>/qr.svg": M(),
    "GET /circles/<int:circle_id>/applications": O(),
    "POST /circles/<int:circle_id>/applications/<int:member_id>/approve": O(
        member_id="applicant_id"
    ),
    "POST /circles/<int:circle_id>/applications/<int:member_id>/decline": O(
        member_id="applicant_id"
    ),
    "POST /circles/<int:circle_id>/invitations": O(),
    "POST /circles/<int:circle_id>/invitations/<int:invitation_id>/revoke": O(),
    "GET /circles/<int:circle_id>/roles": M(),
    "POST /circles/<int:circle_id>/roles": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/roles/<role>/revoke": O(
        member_id="officer_id"
    ),
    # --- referrals and closed business ----------------------------------------------
    "GET /circles/<int:circle_id>/week": M(),
    "GET /circles/<int:circle_id>/referrals/open": M(),
    "GET /circles/<int:circle_id>/week/<day>": M(),
    "GET /circles/<int:circle_id>/ledger": M(),
    "POST /circles/<int:circle_id>/referrals": M(),
    "GET /circles/<int:circle_id>/referrals/<int:referral_id>": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/edit": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/status": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/void": M(),
    "POST /circles/<int:circle_id>/closed-business": M(),
    "GET /circles/<int:circle_id>/closed-business/<int:business_id>": M(),
    "GET /circles/<int:circle_id>/slips/new": M(),
    "POST /circles/<int:circle_id>/slips/new": M(),
    "GET /circles/<int:circle_id>/thanks/new": M(),
    "POST /circles/<int:circle_id>/thanks/new": M(),
    "POST /circles/<int:circle_id>/closed-business/<int:business_id>/edit": M(),
    "POST /circles/<int:circle_id>/closed-business/<int:business_id>/void": M(),
    # --- balance, export, import -------------------------------------------------------
    "GET /circles/<int:circle_id>/balance": M(),
    "GET /circles/<int:circle_id>/balance.csv": M(),
    "GET /circles/<int:circle_id>/balance/matrix": M(),
    "GET /circles/<int:circle_id>/balance/pairs": M(),
    "GET /circles/<int:circle_id>/export": M(),
    "GET /circles/<int:circle_id>/export.csv": M(),
    "GET /circles/<int:circle_id>/import": O(),
    "POST /circles/<int:circle_id>/import": O(),
    "GET /circles/<int:circle_id>/import/jobs/<job_id>": O(),
    "GET /circles/<int:circle_id>/import/jobs/<job_id>/status": O(),
    "POST /circles/<int:circle_id>/import/jobs/<job_id>/confirm": O(),
    "POST /circles/<int:circle_id>/import/jobs/<job_id>/cancel": O(),
    "GET /circles/<int:circle_id>/imports/<int:import_id>": O(),
    # --- dues ------------------------------------------------------------------------
    "GET /circles/<int:circle_id>/dues": M(),
    "GET /circles/<int:circle_id>/dues/payoff": M(),
    "GET /circles/<int:circle_id>/dues/return": M(),
    "POST /circles/<int:circle_id>/dues/checkout": M(),
    "POST /circles/<int:circle_id>/dues/portal": M(),
    "GET /circles/<int:circle_id>/dues.csv": O(),
    "GET /circles/<int:circle_id>/dues/admin": O(),
    "POST /circles/<int:circle_id>/dues/payments": O(),
    "POST /circles/<int:circle_id>/dues/plan": O(),
    # --- one-to-ones and education --------------------------------------------------
    "GET /circles/<int:circle_id>/activity": M(),
    "POST /circles/<int:circle_id>/one-to-ones": M(),
    "POST /circles/<int:circle_id>/one-to-ones/<int:entry_id>/void": M(),
    "POST /circles/<int:circle_id>/education": M(),
    "POST /circles/<int:circle_id>/education/<int:entry_id>/void": M(entry_id="credit_id"),
    # --- meetings, attendance, reports --------------------------------------------------
    "GET /circles/<int:circle_id>/meetings": M(),
    "GET /circles/<int:circle_id>/meetings/<int:meeting_id>": M(),
    "GET /circles/<int:circle_id>/attendance": M(),
    "GET /circles/<int:circle_id>/calendar": M(),
    "POST /circles/<int:circle_id>/calendar": M(),
    "GET /circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/cancel": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/reply": M(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/restore": O(),
    "GET /circles/<int:circle_id>/absences": O(),
    "GET /circles/<int:circle_id>/report": O(),
    "GET /circles/<int:circle_id>/weeks/<day>/report": O(),
    "POST /circles/<int:circle_id>/weeks/<day>/lock": O(),
    # --- visitors ------------------------------------------------------------------
    "GET /circles/<int:circle_id>/visitors": O(),
    "POST /circles/<int:circle_id>/visitors": O(),
    "POST /circles/<int:circle_id>/visitors/<int:visitor_id>/applicant": O(),
    "POST /circles/<int:circle_id>/visitors/<int:visitor_id>/visits": O(),
    # --- scores --------------------------------------------------------------------
    "GET /circles/<int:circle_id>/score": M(),
    "GET /circles/<int:circle_id>/scores": O(),
    "GET /circles/<int:circle_id>/scores/<int:member_id>": O(member_id="officer_id"),
    "GET /circles/<int:circle_id>/scores/table": O(),
    "POST /circles/<int:circle_id>/scores/table": O(),
    # --- trends: the circle over time --------------------------------------------------
    "GET /circles/<int:circle_id>/trends": M(),
    # --- API ------------------------------------------------------------------------
    "DELETE /api/v1/tokens/<int:token_id>": O(),
    "GET /api/v1/circles/<int:circle_id>": M(),
    "PATCH /api/v1/circles/<int:circle_id>": O(),
    "GET /api/v1/circles/<int:circle_id>/members": M(),
    "POST /api/v1/circles/<int:circle_id>/members": O(),
    "PATCH /api/v1/circles/<int:circle_id>/members/<int:member_id>": O(),
    "DELETE /api/v1/circles/<int:circle_id>/members/<int:member_id>": O(),
    "GET /api/v1/circles/<int:circle_id>/members/<int:member_id>/roles": M(),
    "PUT /api/v1/circles/<int:circle_id>/members/<int:member_id>/roles": O(),
    "GET /api/v1/circles/<int:circle_id>/members/<int:member_id>/score": O(member_id="officer_id"),
    "GET /api/v1/circles/<int:circle_id>/applications": O(),
    "POST /api/v1/circles/<int:circle_id>/applications/<int:member_id>/decision": O(
        member_id="applicant_id"
    ),
    "GET /api/v1/circles/<int:circle_id>/balance": M(),
    "GET /api/v1/circles/<int:circle_id>/export.csv": M(),
    "POST /api/v1/circles/<int:circle_id>/imports": O(),
    "POST /api/v1/circles/<int:circle_id>/import-jobs": O(),
    "GET /api/v1/circles/<int:circle_id>/import-jobs/<job_id>": O(),
    "POST /api/v1/circles/<int:circle_id>/import-jobs/<job_id>/confirm": O(),
    "POST /api/v1/circles/<int:circle_id>/import-jobs/<job_id>/cancel": O(),
    "GET /api/v1/circles/<int:circle_id>/referrals": M(),
    "POST /api/v1/circles/<int:circle_id>/referrals": M(),
    "PATCH /api/v1/circles/<int:circle_id>/referrals/<int:referral_id>": M(),
    "GET /api/v1/circles/<int:circle_id>/closed-business": M(),
    "POST /api/v1/circles/<int:circle_id>/closed-business": M(),
    "PATCH /api/v1/circles/<int:circle_id>/closed-business/<int:business_id>": M(),
    "GET /api/v1/circles/<int:circle_id>/one-to-ones": M(),
    "POST /api/v1/circles/<int:circle_id>/one-to-ones": M(),
    "GET /api/v1/circles/<int:circle_id>/education-credits": M(),
    "POST /api/v1/circles/<int:circle_id>/education-credits": M(),
    "GET /api/v1/circles/<int:circle_id>/meetings": M(),
    "GET /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": M(),  # own rows
    "PUT /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/cancel": O(),
    "GET /api/v1/circles/<int:circle_id>/weeks/<day>/report": O(),
    "POST /api/v1/circles/<int:circle_id>/weeks/<day>/lock": O(),
    "GET /api/v1/circles/<int:circle_id>/scores": M(),  # a member gets only their own
    "GET /api/v1/circles/<int:circle_id>/visitors": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors/<int:visitor_id>/applicant": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors/<int:visitor_id>/visits": O(),
}


def id_rules(app):
    """(key, rule, method) for every method of every rule that takes a path parameter."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "assets.asset") or not rule.arguments:  # public files
            continue
        for method in sorted(rule.methods - IGNORED):
            yield f"{method} {rule.rule}", rule, method


def url_for_side(rule: str, case: Case, ids: dict, override: dict | None = None) -> str:
    """Fill the rule's parameters with one side's ids (``override`` wins)."""
    values = {**ids, **(override or {})}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        return str(values[case.params.get(name, name)])

    return PARAM.sub(fill, rule)


def login(app, user):
    """A new client logged in as ``user`` through the login form, and its CSRF token."""
    client = app.test_client()
    AuthActions(client).login(user)
    return client, any_csrf_token(client, "/circles")
