"""Small helpers shared by the HTML views."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_wtf import FlaskForm

from circle.errors import DomainError
from circle.security import is_safe_next


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
