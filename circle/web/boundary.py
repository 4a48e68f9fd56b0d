"""The request boundary of the HTML views, and the small helpers they share.

``circle_page`` is to a circle's HTML pages what ``circle.api.endpoint`` is to the API:
it logs in, loads the circle and ``me`` (the current Membership; another circle answers
404), checks the permission named in ``circle.roles.permissions`` (403), and runs the view
in one transaction: a GET only reads; any other request is committed once when the view
answers below 400 and rolled back when it answers a refusal (4xx) or raises.
``site_page`` does the same for the pages outside one circle (sign-up, login, account,
privacy, the circle list, invitations). Inside either, ``attempt`` runs a service in a
savepoint and hands a refusal back to show on the form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import TypeVar

from flask import Response, g, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from circle.circles.access import circle_for_user, require_admin
from circle.core.errors import DomainError, Forbidden, NotFound
from circle.core.security import is_safe_next
from circle.db import IN_BOUNDARY, unit_of_work
from circle.extensions import db, locale_name
from circle.models import Circle, Membership, User
from circle.roles.permissions import require
from circle.web.forms import FlaskForm

T = TypeVar("T")
READS = frozenset({"GET", "HEAD"})


def circle_page(
    permission: str | None = None, *, admin: bool = False
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., Response]]:
    """Decorate a view of one circle's page: ``view(circle, me, **route_args)``.

    Login required; ``me`` is the user's active membership in the route's ``circle_id``
    (404 for anyone else); ``permission`` (a key of ``PERMISSIONS``) or ``admin`` is
    checked before the view runs (403). A GET runs as it is (it must not write: see
    tests/security/test_get_never_writes.py); other methods run in one transaction committed once
    when the answer is below 400, rolled back otherwise.
    """

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
        @wraps(view)
        @login_required
        def run(circle_id: int, **route_args) -> Response:
            circle, me = my_circle(circle_id)
            if admin:
                require_admin(me)
            elif permission is not None:
                require(me, permission)
            return _in_one_transaction(lambda: view(circle, me, **route_args))

        return run

    return decorate


def site_page(
    *, login: bool = True
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., Response]]:
    """Decorate a page outside one circle: ``view(**route_args)``, login required unless
    ``login=False``; the same transaction as ``circle_page`` (a GET only reads, other
    methods commit once below 400 and roll back otherwise)."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
        @wraps(view)
        def run(**route_args) -> Response:
            return _in_one_transaction(lambda: view(**route_args))

        return login_required(run) if login else run

    return decorate


def _in_one_transaction(call: Callable[[], ResponseReturnValue]) -> Response:
    """Answer a GET as the view does; run any other request in one transaction, committed
    when the answer is below 400 and rolled back on a refusal (4xx) or an exception."""
    if request.method in READS:
        return make_response(call())
    g.setdefault(IN_BOUNDARY, True)
    try:
        response = make_response(call())
        if response.status_code < HTTPStatus.BAD_REQUEST:
            db.session.commit()
        else:
            db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        g.pop(IN_BOUNDARY, None)
    return response


def form_error(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error on the form: on its field when it names one, else above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def redirect_next(default_endpoint: str, **values):
    """Redirect to ``?next=`` (or a ``next`` form field) if it is a local path, else the default."""
    target = request.args.get("next") or request.form.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def attempt(action: Callable[[], T]) -> tuple[T | None, DomainError | None]:
    """Run a service call: ``(result, None)`` or ``(None, refusal)``, nothing half-written.

    Inside ``circle_page`` or ``site_page`` the call runs in a savepoint (the page commits
    once at its end); elsewhere in its own unit of work. The refusal is shown on the form. NotFound
    and Forbidden are not refusals to show: they go on to the error pages (404 / 403), so
    nothing hints at another circle's objects.
    """
    try:
        with unit_of_work(db.session):
            return action(), None
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        return None, error


def logged_in_user() -> User:
    """The logged-in user as a model object (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def my_circle(circle_id: int) -> tuple[Circle, Membership]:
    """The circle and my active membership in it; anyone else gets 404."""
    return circle_for_user(logged_in_user(), circle_id)


def my_admin_circle(circle_id: int) -> tuple[Circle, Membership]:
    """The circle and my membership, which must be an admin's (404 outside, 403 for members)."""
    circle, me = my_circle(circle_id)
    require_admin(me)
    return circle, me


def ui_locale() -> str:
    """The current UI locale as a string for Babel's formatting functions."""
    return locale_name()
