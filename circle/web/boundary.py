"""Small helpers shared by the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from circle.circles.access import circle_for_user, require_admin
from circle.core.errors import DomainError, Forbidden, NotFound
from circle.core.security import is_safe_next
from circle.db import unit_of_work
from circle.extensions import db
from circle.models import Circle, Membership, User
from circle.web.forms import FlaskForm

T = TypeVar("T")


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
    """Run a service call in one transaction: ``(result, None)`` or ``(None, refusal)``.

    The refusal is shown on the form. NotFound and Forbidden are not refusals to show:
    they go on to the error pages (404 / 403), so nothing hints at another circle's objects.
    """
    try:
        with unit_of_work(db.session):
            return action(), None
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        return None, error


def current_member() -> User:
    """The logged-in user as a model object (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def my_circle(circle_id: int) -> tuple[Circle, Membership]:
    """The circle and my active membership in it; anyone else gets 404."""
    return circle_for_user(current_member(), circle_id)


def my_admin_circle(circle_id: int) -> tuple[Circle, Membership]:
    """The circle and my membership, which must be an admin's (404 outside, 403 for members)."""
    circle, me = my_circle(circle_id)
    require_admin(me)
    return circle, me


def ui_locale() -> str:
    """The current UI locale as a string for Babel's formatting functions."""
    return str(get_locale() or "en")
