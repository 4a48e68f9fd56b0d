"""Login sessions that the server checks on every request, and revocable remember-me tokens.

- A login makes a ``UserSession`` row; the browser's (signed) Flask session carries only
  its random id as Flask-Login's ``_user_id``, the table only the id's SHA-256 hash. The
  user loader accepts the id while the row is not ended and within
  ``SESSION_IDLE_TIMEOUT`` (``last_seen_at``, written at most every ``TOUCH_EVERY``
  seconds) and ``SESSION_ABSOLUTE_TIMEOUT`` (``created_at``). Logout ends the row, so a
  copied cookie stops working at once; ``end_all`` ends every row of a user (log out
  everywhere, a new password, an account deletion).
- "Stay logged in on this device" sets the ``REMEMBER_COOKIE`` cookie to a random token
  (stored hashed in ``RememberToken``, valid ``REMEMBER_COOKIE_DURATION`` from the login).
  When the session is gone, the token starts a new one and is replaced by a new token of
  the same chain; a replaced token shown again means the cookie was copied: the whole
  chain and its sessions end. Flask-Login's own remember cookie, which cannot be revoked,
  is never set.

``start`` is the single entry point that logs a user in (after the password, and after a
second factor where one is asked). ``clock`` is the only source of time here, so tests
can move it.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import Select, and_, bindparam, delete, select, update
from sqlalchemy.orm import joinedload, lazyload

from circle.circles import known
from circle.core.errors import NotFound
from circle.core.security import new_token, token_hash
from circle.db import unit_of_work
from circle.extensions import db
from circle.meetings.schedule import plan_for_user
from circle.models import Membership, RememberToken, User, UserSession
from circle.models.session import ADDRESS_LENGTH, USER_AGENT_LENGTH
from circle.roles.permissions import roles_column

#: ``last_seen_at`` is written at most this often (seconds), not on every request.
TOUCH_EVERY = 60
#: Our remember-me cookie (not Flask-Login's ``remember_token``, which is never set).
REMEMBER_COOKIE = "circle_remember"
#: A replaced remember token that comes back within this many seconds is a race between
#: two requests of the same browser (tabs restored at once), not a copied cookie.
ROTATION_GRACE = 10


def clock() -> int:
    """Now, in whole Unix seconds."""
    return int(time.time())


def now() -> datetime:
    """Now, from ``clock``, as an aware UTC datetime."""
    return datetime.fromtimestamp(clock(), UTC)


# --- starting and ending ------------------------------------------------------------------


def start(user: User, remember: bool = False) -> None:
    """Log ``user`` in with a fresh server-side session (and a new remember token if asked).

    Ends the session this browser had before and keeps only its chosen language; plans
    the coming meetings of the user's circles. Commits the new rows in their own unit of
    work: call it after the request's own one.
    """
    with unit_of_work(db.session):
        _end_this_browser()
        plain = _open(user, _new_chain() if remember else None)
        plan_for_user(user)  # the coming meetings of their circles (pages never write)
    forget()
    login_user(user)
    session["_user_id"] = plain


def end() -> None:
    """Log this browser out: end its session and remember chain, forget both cookies.

    The language chosen in this browser stays. Commits in its own unit of work.
    """
    with unit_of_work(db.session):
        _end_this_browser()
    forget()
    g.remember_cookie = None


def end_all(user: User, keep: UserSession | None = None) -> None:
    """End every session and remember chain of ``user``, except the session ``keep``.

    Also raises ``users.session_version``, the count of such mass logouts. Only flushes.
    """
    moment = now()
    ended = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    tokens = update(RememberToken).where(
        RememberToken.user_id == user.id, RememberToken.revoked_at.is_(None)
    )
    if keep is not None:
        ended = ended.where(UserSession.id != keep.id)
        if keep.remember_chain is not None:
            tokens = tokens.where(RememberToken.chain != keep.remember_chain)
    db.session.execute(
        ended.values(ended_at=moment), execution_options={"synchronize_session": False}
    )
    db.session.execute(
        tokens.values(revoked_at=moment), execution_options={"synchronize_session": False}
    )
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def forget_devices(user: User) -> None:
    """Blank the browser and client address kept for the account page (account erasure)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(user_agent="", client_address=""),
        execution_options={"synchronize_session": False},
    )


def purge(days: int = 30) -> tuple[int, int]:
    """Delete sessions and remember tokens that have been over for more than ``days`` days.

    A replaced remember token is kept until its chain expires, so that a copied cookie
    is still recognised as such. Returns ``(sessions, tokens)`` deleted. Only flushes.
    """
    config = current_app.config
    moment = now()
    cutoff = moment - timedelta(days=days)
    sessions_gone = db.session.execute(
        delete(UserSession).where(
            (UserSession.ended_at < cutoff)
            | (UserSession.last_seen_at < cutoff - config["SESSION_IDLE_TIMEOUT"])
            | (UserSession.created_at < cutoff - config["SESSION_ABSOLUTE_TIMEOUT"])
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    tokens_gone = db.session.execute(
        delete(RememberToken).where(
            (RememberToken.revoked_at < cutoff) | (RememberToken.expires_at < cutoff)
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.flush()
    return sessions_gone, tokens_gone


def end_one(user: User, session_id: int) -> UserSession:
    """End one of the user's own sessions (and its remember chain); others' are NotFound."""
    row = db.session.execute(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("Session not found."))
    _end_row(row, now())
    db.session.flush()
    return row


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still count, most recently seen first (for the account page)."""
    config = current_app.config
    moment = now()
    rows = db.session.execute(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.created_at > moment - config["SESSION_ABSOLUTE_TIMEOUT"],
            UserSession.last_seen_at > moment - config["SESSION_IDLE_TIMEOUT"],
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).scalars()
    return list(rows)


def current() -> UserSession | None:
    """The session row of this request's logged-in user, if any."""
    return g.get("user_session")


def remembered() -> bool:
    """True when this browser sent a remember-me cookie ("Stay logged in on this device")."""
    return REMEMBER_COOKIE in request.cookies


# --- checking on every request ------------------------------------------------------------


def check(value: str, circle_id: int | None = None) -> tuple[UserSession | None, str]:
    """Look up the session id from the cookie: ``(row, "ok")`` or ``(row or None, reason)``.

    Reasons: ``unknown`` (no such id), ``revoked`` (ended, or the account erased) and
    ``expired`` (idle or absolute timeout; the row is ended here). Only flushes.
    ``circle_id`` (the route's circle): the user's active seat there is read in the same
    statement and kept for the request (``circle.circles.known``) when the session is ok.
    """
    row, seat = _row(value, circle_id)
    if row is None:
        return None, "unknown"
    if row.ended_at is not None or row.user.erased_at is not None:
        return row, "revoked"
    config = current_app.config
    moment = now()
    if (
        moment - row.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]
        or moment - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]
    ):
        _end_row(row, moment, chain=False)
        db.session.flush()
        return row, "expired"
    if (moment - row.last_seen_at).total_seconds() >= TOUCH_EVERY:
        row.last_seen_at = moment
        db.session.flush()
    g.user_session = row
    if seat is not None:
        known.remember(row.user_id, circle_id, *seat)
    return row, "ok"


def forget() -> None:
    """Clear this browser's Flask session except its chosen language (the remember cookie stays)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def restore() -> tuple[User | None, str]:
    """Start a session from the remember-me cookie: ``(user, "ok")`` or ``(user?, reason)``.

    The token is replaced by a new one of its chain. Reasons: ``none`` (no cookie),
    ``unknown``, ``revoked``, ``expired``, ``reused`` (a replaced token came back: the
    chain and its sessions end) and ``raced`` (it came back within ``ROTATION_GRACE``
    seconds, as from two tabs opened at once: refused, the chain goes on). Every other
    refusal clears the cookie. Only flushes.
    """
    plain = request.cookies.get(REMEMBER_COOKIE)
    if not plain:
        return None, "none"
    token = db.session.execute(
        select(RememberToken).where(RememberToken.token_hash == token_hash(plain))
    ).scalar_one_or_none()
    moment = now()
    reason = _refusal(token, moment)
    if reason != "ok":
        if reason == "reused":
            _end_chain(token.user_id, token.chain, moment)
        if reason != "raced":  # the request that replaced the token sets the new cookie
            g.remember_cookie = None
        return (token.user if token is not None else None), reason
    token.rotated_at = moment
    forget()
    session_id = _open(token.user, token.chain, expires_at=token.expires_at)
    login_user(token.user, fresh=False)
    session["_user_id"] = session_id
    return token.user, "ok"


def write_remember_cookie(response):
    """After a request: set the new remember-me token, or delete the cookie, as decided."""
    if "remember_cookie" not in g:
        return response
    config = current_app.config
    options = {
        "domain": config.get("REMEMBER_COOKIE_DOMAIN"),
        "path": config.get("REMEMBER_COOKIE_PATH", "/"),
        "secure": config.get("REMEMBER_COOKIE_SECURE", False),
        "httponly": config.get("REMEMBER_COOKIE_HTTPONLY", True),
        "samesite": config.get("REMEMBER_COOKIE_SAMESITE"),
    }
    if g.remember_cookie is None:
        response.delete_cookie(REMEMBER_COOKIE, **options)
    else:
        plain, expires_at = g.remember_cookie
        response.set_cookie(REMEMBER_COOKIE, plain, expires=expires_at, **options)
    return response


# --- helpers ------------------------------------------------------------------------------


def _row(value: str, circle_id: int | None = None):
    """The session row for the id in a cookie (looked up by its hash), and with a
    ``circle_id`` the user's active membership there with its officer roles (or None)."""
    if not isinstance(value, str) or not value:
        return None, None
    params = {"hash": token_hash(value)}
    if circle_id is None:
        return db.session.execute(_by_hash(), params).scalar_one_or_none(), None
    found = db.session.execute(
        _by_hash_with_seat(), {**params, "circle_id": circle_id}
    ).one_or_none()
    if found is None:
        return None, None
    row, membership, roles = found
    return row, (membership, roles) if membership is not None else None


@cache
def _by_hash() -> Select:
    """A session row (with its user) by the hash of its id: asked on every request, so
    built once per process."""
    return select(UserSession).where(UserSession.session_hash == bindparam("hash"))


@cache
def _by_hash_with_seat() -> Select:
    """``_by_hash`` and, in the same statement, the user's active membership in the
    circle ``circle_id`` with its officer roles (NULL without one): a circle page then
    needs no statement of its own to find the visitor's seat."""
    seat = and_(
        Membership.circle_id == bindparam("circle_id"),
        Membership.user_id == UserSession.user_id,
        Membership.status == "active",
    )
    return (
        select(UserSession, Membership, roles_column())
        .outerjoin(Membership, seat)
        .where(UserSession.session_hash == bindparam("hash"))
        # The seat's own joins must be outer too: inner ones would drop a visitor
        # without a seat (and so their session) from the answer. The seat's user is the
        # session's own (joined with it): read a second time, its 18 columns cost about
        # as much as the rest of the statement, so it comes from the identity map.
        .options(
            joinedload(Membership.circle, innerjoin=False),
            lazyload(Membership.user),
        )
    )


def _open(user: User, chain: str | None, expires_at: datetime | None = None) -> str:
    """Add a session row (and a remember token when ``chain``); return the session id."""
    moment = now()
    plain = new_token()
    row = UserSession(
        user_id=user.id,
        session_hash=token_hash(plain),
        remember_chain=chain,
        created_at=moment,
        last_seen_at=moment,
        user_agent=(request.user_agent.string or "")[:USER_AGENT_LENGTH],
        client_address=(request.remote_addr or "")[:ADDRESS_LENGTH],
    )
    db.session.add(row)
    if chain is not None:
        token = new_token()
        expires = expires_at or moment + current_app.config["REMEMBER_COOKIE_DURATION"]
        db.session.add(
            RememberToken(
                user_id=user.id,
                chain=chain,
                token_hash=token_hash(token),
                created_at=moment,
                expires_at=expires,
            )
        )
        g.remember_cookie = (token, expires)
    db.session.flush()
    g.user_session = row
    return plain


def _new_chain() -> str:
    """A new random remember-me chain id."""
    return secrets.token_hex(16)


def _refusal(token: RememberToken | None, moment: datetime) -> str:
    """Why a remember token cannot start a session, or ``ok``."""
    if token is None:
        return "unknown"
    if token.revoked_at is not None or token.user.erased_at is not None:
        return "revoked"
    if token.rotated_at is not None:
        raced = (moment - token.rotated_at).total_seconds() <= ROTATION_GRACE
        return "raced" if raced else "reused"
    if token.expires_at <= moment:
        return "expired"
    return "ok"


def _end_row(row: UserSession, moment: datetime, chain: bool = True) -> None:
    """End one session row, and with ``chain`` the remember chain it belongs to."""
    if row.ended_at is None:
        row.ended_at = moment
    if chain and row.remember_chain is not None:
        _end_chain(row.user_id, row.remember_chain, moment)


def _end_chain(user_id: int, chain: str, moment: datetime) -> None:
    """Revoke every token of a remember chain and end the sessions it started."""
    db.session.execute(
        update(RememberToken)
        .where(
            RememberToken.user_id == user_id,
            RememberToken.chain == chain,
            RememberToken.revoked_at.is_(None),
        )
        .values(revoked_at=moment),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.remember_chain == chain,
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=moment),
        execution_options={"synchronize_session": False},
    )


def _end_this_browser() -> None:
    """End the session row and the remember chain this browser presents, if any."""
    moment = now()
    row, _seat = _row(session.get("_user_id"))
    if row is not None:
        _end_row(row, moment)
    plain = request.cookies.get(REMEMBER_COOKIE)
    if plain:
        token = db.session.execute(
            select(RememberToken).where(RememberToken.token_hash == token_hash(plain))
        ).scalar_one_or_none()
        if token is not None:
            _end_chain(token.user_id, token.chain, moment)
    g.remember_cookie = None
    g.pop("user_session", None)
    db.session.flush()


#: (text in the User-Agent header, name shown), first match wins.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(row: UserSession) -> str:
    """A short name of the browser and system of a session, e.g. "Firefox on Windows"."""
    agent = row.user_agent or ""
    browser = next((name for key, name in _BROWSERS if key in agent), None)
    system = next((name for key, name in _SYSTEMS if key in agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
