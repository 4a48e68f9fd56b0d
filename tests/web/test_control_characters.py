"""Issue 12, item 14: no control characters in single-line text, by one check everywhere.

The walkers below find every HTML form class and every API input schema of the app
(a new one is checked without being listed here) and send each text field a value with
CR/LF in it: every single-line field must refuse it with the one translated message.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from marshmallow import Schema, ValidationError
from marshmallow import fields as ma_fields
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import Form as WTForm  # noqa: TID251 - the base whose subclasses are walked
from wtforms.fields import FieldList, FormField, HiddenField, SelectFieldBase, TextAreaField

import circle
from circle.api.endpoint import OPERATIONS
from circle.api.fields import Password, Text
from circle.core.checks import refused_characters
from circle.models import Circle
from circle.web.forms import CHARACTERS_MESSAGE, TextChecks, is_checked

BREAK = "Kreis Nord\r\nBcc: everyone@example.org"
#: Also refused in a text area (which keeps its line breaks), inside some text.
NEVER = [
    f"Nord{c}Süd"
    for c in ["\x0b", "\x1b[2J", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u2066"]
]


def _import_everything() -> None:
    """Import every module of the app, so that every form and schema class exists."""
    for module in pkgutil.walk_packages(circle.__path__, "circle."):
        importlib.import_module(module.name)


def _subclasses(cls) -> list[type]:
    """Every subclass of ``cls`` defined in the app, transitively."""
    found, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("circle.") and sub.__module__ != "circle.web.forms":
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


_import_everything()
FORMS = _subclasses(WTForm)
INPUT_SCHEMAS = sorted(
    {s for op in OPERATIONS for s in (op.body, op.query, op.form) if s is not None},
    key=lambda s: s.__name__,
)


def test_the_walkers_find_the_forms_and_schemas():
    """The lists below are not empty by accident (the circle form, the referral rows ...)."""
    names = {cls.__name__ for cls in FORMS}
    assert {"CircleSettingsForm", "CreateCircleForm", "ReferralRowForm", "PeriodForm"} <= names
    assert len(INPUT_SCHEMAS) > 20


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_form_runs_the_text_checks(form_class):
    """A form on the library's own base would skip them (ruff's TID251 bans it as well)."""
    assert issubclass(form_class, TextChecks)


def _required(form_class) -> list[str]:
    """The constructor's required positional parameters (members, meetings, a circle)."""
    return [
        name
        for name, parameter in inspect.signature(form_class.__init__).parameters.items()
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        and name not in ("self", "formdata")
        and parameter.default is parameter.empty
    ]


def _make(form_class, formdata, circle_row):
    """An instance of ``form_class`` on ``formdata`` (no CSRF), whatever its constructor.

    Every choice is sent as "1": a row of the week form without a receiver is skipped.
    """
    formdata = MultiDict(formdata)
    for field in _choices(form_class, circle_row):
        formdata.setdefault(field, "1")
    args = [circle_row if name == "circle" else [] for name in _required(form_class)]
    form = form_class(*args, formdata=formdata, meta={"csrf": False})
    for field in _all_fields(form):  # choices the view would fill in from the database
        if isinstance(field, SelectFieldBase) and getattr(field, "choices", ()) is None:
            field.choices = []
    return form


def _choices(form_class, circle_row) -> list[str]:
    """The names of the select fields of a form, nested rows included."""
    args = [circle_row if name == "circle" else [] for name in _required(form_class)]
    form = form_class(*args, formdata=MultiDict(), meta={"csrf": False})
    return [field.name for field in _all_fields(form) if isinstance(field, SelectFieldBase)]


def _all_fields(form):
    """Every field of ``form``, the fields of nested rows instead of the rows."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                if isinstance(entry, FormField):
                    yield from _all_fields(entry.form)
        elif isinstance(field, FormField):
            yield from _all_fields(field.form)
        else:
            yield field


def _text_fields(form):
    """Every checked text field of ``form``, nested rows included."""
    return [field for field in _all_fields(form) if is_checked(field)]


def _messages(errors) -> list[str]:
    """All messages of a form's (nested) ``errors``."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, (list, tuple)):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_every_single_line_field_of_every_form_refuses_a_line_break(app, form_class):
    """CR/LF (and the other controls) in any single-line field: the form is invalid with
    the message on that field; a text area keeps line breaks but refuses the rest."""
    with app.test_request_context():
        circle_row = Circle(name="Kreis", meeting_weekday=2, timezone="Europe/Berlin")
        fields = list(_text_fields(_make(form_class, MultiDict(), circle_row)))
        message = str(CHARACTERS_MESSAGE)
        for field in fields:
            multi = isinstance(field, TextAreaField)
            values = NEVER if multi else [BREAK, "Nord\tSüd", *NEVER]
            for value in values:
                form = _make(form_class, MultiDict({field.name: value}), circle_row)
                assert not form.validate(), (field.name, value)
                assert message in _messages(form.errors), (field.name, value)
                if not isinstance(field, HiddenField):
                    same = next(f for f in _text_fields(form) if f.name == field.name)
                    assert message in same.errors, (field.name, value)
            clean = _make(
                form_class,
                MultiDict({field.name: "Zeile\r\nzwei" if multi else "Nord"}),
                circle_row,
            )
            clean.validate()
            assert message not in _messages(clean.errors), field.name


def _string_fields(schema: Schema):
    """``(path, field, wrap)`` for every string field of an input schema, nested objects and
    lists included; ``wrap`` builds the body that puts a value into that field."""
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        inner = field.inner if isinstance(field, ma_fields.List) else field
        in_list = isinstance(field, ma_fields.List)

        def outer(value, key=key, in_list=in_list):
            return {key: [value] if in_list else value}

        if isinstance(inner, ma_fields.Nested):
            for path, sub, wrap in _string_fields(inner.schema):
                yield (key, *path), sub, lambda v, wrap=wrap, outer=outer: outer(wrap(v))
        elif isinstance(inner, ma_fields.String):
            yield (key,), inner, outer


def _at(messages, path: tuple) -> list[str]:
    """The messages of a refusal at ``path`` (list positions skipped)."""
    for key in path:
        if isinstance(messages, dict) and 0 in messages:
            messages = messages[0]
        messages = messages.get(key) if isinstance(messages, dict) else None
    if isinstance(messages, dict) and 0 in messages:
        messages = messages[0]
    return _messages(messages)


@pytest.mark.parametrize("schema_class", INPUT_SCHEMAS, ids=lambda s: s.__name__)
def test_every_single_line_string_of_every_api_schema_refuses_a_line_break(app, schema_class):
    """The API's input schemas: every string is our ``Text`` (or a password), and every
    single-line one refuses CR/LF with the same message as the forms."""
    with app.test_request_context():
        schema = schema_class()
        message = str(CHARACTERS_MESSAGE)
        for path, field, wrap in _string_fields(schema):
            assert isinstance(field, Text), (schema_class.__name__, path)
            if isinstance(field, Password):
                continue
            values = NEVER if not field.single_line else [BREAK, "Nord\tSüd", *NEVER]
            for value in values:
                with pytest.raises(ValidationError) as refused:
                    schema.load(wrap(value), partial=True)
                assert message in _at(refused.value.messages, path), (path, value)


def test_the_check_keeps_ordinary_text():
    """Umlauts, accents, right-to-left script and emoji are text, not controls."""
    for text in ["Müller & Söhne", "Café Zoë", "שלום", "مرحبا", "Bäcker 🥨", "O'Neil - GmbH"]:
        assert not refused_characters(text)
    assert not refused_characters("Zeile 1\r\nZeile 2\tEnde", multi_line=True)


def test_a_circle_name_with_a_line_break_is_refused_on_the_form_and_nothing_is_saved(
    app, make, auth, forms
):
    """Issue 12, item 14: CR/LF in a circle's name entered through the HTML form broke
    every later mail about the circle. The form refuses it with a message; no circle."""
    user = make.user()
    auth.login(user)
    with app.app_context():
        from circle.extensions import db

        before = db.session.execute(select(func.count()).select_from(Circle)).scalar_one()
    response = forms.submit(
        "/circles/new",
        {
            "name": BREAK,
            "city": "Köln",
            "seat_limit": "40",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
            "meeting_weekday": "2",
            "meeting_time": "07:00",
            "meeting_minutes": "90",
        },
    )
    assert response.status_code == 422
    assert "Enthält Zeichen, die nicht erlaubt sind." in response.get_data(as_text=True)
    with app.app_context():
        from circle.extensions import db

        after = db.session.execute(select(func.count()).select_from(Circle)).scalar_one()
    assert after == before


def test_renaming_a_circle_with_a_line_break_changes_nothing(app, make, auth, client, forms):
    """The same on the settings page: the old name stays."""
    admin = make.user()
    circle = make.circle(admin=admin, name="Kreis Nord")
    auth.login(admin)
    page = f"/circles/{circle.id}/settings"
    html = client.get(page).get_data(as_text=True)
    assert "Kreis Nord" in html
    response = forms.submit(page, {"name": BREAK, "city": "Köln"})
    assert response.status_code in (200, 422)
    assert "Enthält Zeichen, die nicht erlaubt sind." in response.get_data(as_text=True)
    with app.app_context():
        from circle.extensions import db

        assert db.session.get(Circle, circle.id).name == "Kreis Nord"


def test_the_api_refuses_a_circle_name_with_a_line_break(app, make, api):
    """The API's answer to the same: a problem naming the field, nothing saved."""
    admin = make.user()
    circle = make.circle(admin=admin, name="Kreis Nord")
    response = api.as_user(admin).patch(f"/api/v1/circles/{circle.id}", json={"name": BREAK})
    assert response.status_code == 422
    assert response.get_json()["errors"]["name"] == ["Contains characters that are not allowed."]
    with app.app_context():
        from circle.extensions import db

        assert db.session.get(Circle, circle.id).name == "Kreis Nord"
