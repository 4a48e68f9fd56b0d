"""The base classes of every HTML form: the text checks run on every field, always.

Every form of the app derives from ``circle.web.forms.FlaskForm`` (posted forms, with CSRF)
or ``circle.web.forms.Form`` (GET forms and the rows nested in a posted form); ruff refuses
the library's own classes elsewhere (``TID251`` in ruff.toml), so a new form cannot leave
the checks out. The checks (``circle.core.checks.refused_characters``):

- a single-line field (``StringField`` and its kinds: e-mail, search, hidden ...) holds
  no control character at all: CR/LF in a circle's name would break every mail header
  that carries it later, a TAB or a bidi override would disguise it;
- a text area may hold line breaks and tabs, but no other control character;
- passwords are exempt: they are hashed, never shown or mailed, and a password set
  elsewhere must keep working (NUL is still refused for every field by
  ``circle.web.request_text``); so is ``next``, a redirect target checked where it is used.

A refusal is a message on the field (above the form for a hidden field, which shows
none), so the view answers as for any invalid form: the page again, nothing saved.
"""

from __future__ import annotations

from copy import copy
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm  # noqa: TID251 - the one place it is extended
from markupsafe import Markup, escape
from wtforms import Form as _Form  # noqa: TID251 - the one place it is extended
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields import Field, Flags, Label
from wtforms.i18n import messages_path
from wtforms.widgets import Select, TextArea, html_params
from wtforms.widgets.core import clean_key

from circle.core.checks import refused_characters
from circle.extensions import locale_name
from circle.web.request_text import UNSTORED

CHARACTERS_MESSAGE = _l("Contains characters that are not allowed.")


def is_checked(field: Field) -> bool:
    """True for a text field whose characters are checked (all but passwords and ``next``)."""
    return (
        isinstance(field, StringField)
        and not isinstance(field, PasswordField)
        and field.short_name not in UNSTORED
    )


def _sent_text(field: Field) -> list[str]:
    """The values the browser sent for ``field`` (none when the form was not submitted)."""
    return [value for value in (field.raw_data or []) if isinstance(value, str)]


class TextChecks:
    """Mix-in for WTForms forms: after the fields' own validators, refuse control
    characters in what was sent (see the module's docstring)."""

    def validate(self, extra_validators=None) -> bool:
        """Validate the fields, then check the characters of every text field."""
        valid = super().validate(extra_validators)
        for field in self:
            if not is_checked(field):
                continue
            multi_line = isinstance(field, TextAreaField)
            if any(refused_characters(text, multi_line=multi_line) for text in _sent_text(field)):
                message = str(CHARACTERS_MESSAGE)
                if isinstance(field, HiddenField):
                    self.form_errors.append(message)
                else:
                    field.errors = [*field.errors, message]
                valid = False
        return valid


def render_select(field: Field, render_kw: dict) -> Markup:
    """A single ``<select>`` as WTForms' ``Select`` widget draws it, option for option.

    WTForms formats every option through ``html_params`` and an escaping formatter and
    inspects ``render_option``'s signature for each field (40 us an option); the week
    page's entry rows carry 200 options. Plain options (a number or text value, no
    attributes of their own) are written here; any other falls back to the widget.
    """
    widget = field.widget
    kwargs = dict(render_kw)
    kwargs.setdefault("id", field.id)
    flags = getattr(field, "flags", {})
    for key in dir(flags):
        if key in widget.validation_attrs and key not in kwargs:
            kwargs[key] = getattr(flags, key)
    html = [f"<select {fast_html_params(name=field.name, **kwargs)}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        if choice.render_kw or isinstance(value, bool) or not isinstance(value, (int, str)):
            html.append(Select.render_option(choice))
            continue
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or value)
        html.append(f'<option {selected}value="{escape(value)}">{label}</option>')
    html.append("</select>")
    return Markup("".join(html))  # noqa: S704 - every value and label is escaped  # nosec B704


def fast_html_params(**kwargs) -> Markup:
    """WTForms' ``html_params`` without its escaping string formatter: the same
    attributes, sorted, names cleaned, values escaped, ``True`` as a bare name, ``False``
    left out (WTForms formats each attribute through ``Markup.format``: 8 us apiece)."""
    parts = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            parts.append(clean_key(key))
        elif value is not False:
            text = escape(value)
            if '"' in text:  # a Markup value is not escaped again
                text = text.replace(Markup('"'), Markup("&quot;"))
            parts.append(f'{clean_key(key)}="{text}"')
    return Markup(" ".join(parts))  # noqa: S704 - every value is escaped  # nosec B704


#: WTForms' input and button widgets (shared instances) and their copies using
#: ``fast_html_params``.
_FAST_INPUTS: dict[object, object] = {}


def _fast_input(widget):
    """A copy of an input or button widget that writes its attributes with
    ``fast_html_params`` (the widgets that take it from ``self.html_params``)."""
    fast = _FAST_INPUTS.get(widget)
    if fast is None:
        fast = copy(widget)
        fast.html_params = fast_html_params
        _FAST_INPUTS[widget] = fast
    return fast


class FastLabel(Label):
    """WTForms' ``Label`` writing its attributes with ``fast_html_params`` (every field
    has one: 33 on the week page)."""

    def __call__(self, text=None, **kwargs) -> Markup:
        """``<label for="…">text</label>``, as WTForms draws it."""
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = fast_html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")  # noqa: S704  # nosec B704


class FastTextArea(TextArea):
    """WTForms' ``TextArea`` writing its attributes with ``fast_html_params``."""

    def __call__(self, field: Field, **kwargs) -> Markup:
        """``<textarea …>`` with the field's text, as WTForms draws it."""
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        params = fast_html_params(name=field.name, **kwargs)
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")  # noqa: S704  # nosec B704


_FAST_TEXT_AREA = FastTextArea()


class FastFlags(Flags):
    """WTForms' ``Flags`` naming only the flags it holds to ``dir()``: every widget looks
    for its validation attributes (``required``, ``maxlength`` …) in ``dir(field.flags)``,
    which listed and sorted the class's every attribute first (6 us an input)."""

    def __dir__(self) -> list[str]:
        """The flags set on this field."""
        return list(vars(self))


class FastSelects:
    """Form ``Meta``: single selects of WTForms' own ``Select`` widget are drawn by
    ``render_select``; input widgets, text areas and labels write their attributes with
    ``fast_html_params``; every field draws the markup WTForms draws."""

    def bind_field(self, form, unbound_field, options):
        """Bind a field as WTForms does, with the fast attribute writer for inputs, text
        areas and labels."""
        field = super().bind_field(form, unbound_field, options)
        if type(field.flags) is Flags:
            field.flags.__class__ = FastFlags
        widget = field.widget
        if getattr(type(widget), "html_params", None) is html_params:
            field.widget = _fast_input(widget)
        elif type(widget) is TextArea:
            field.widget = _FAST_TEXT_AREA
        if type(field.label) is Label:
            field.label = FastLabel(field.label.field_id, field.label.text)
        return field

    def render_field(self, field: Field, render_kw: dict):
        """Draw ``field`` with its ``render_kw`` and the call's keywords."""
        widget = field.widget
        if type(widget) is Select and not widget.multiple and not field.has_groups():
            own = getattr(field, "render_kw", None)
            return render_select(field, dict(own, **render_kw) if own else render_kw)
        return super().render_field(field, render_kw)


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str) -> support.Translations:
    """WTForms' own messages in ``locale``, read from its catalogue once per process."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class KeptTranslations:
    """WTForms' own messages ("Not a valid integer value.") in the language in force, as
    Flask-WTF gives them, each language's catalogue read once per process: Flask-WTF reads
    and parses the file again on every request that builds a form (0.3 ms)."""

    def gettext(self, string: str) -> str:
        """``string`` in the language in force."""
        return _wtforms_catalogue(locale_name()).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """``singular`` or ``plural`` for ``n``, in the language in force."""
        return _wtforms_catalogue(locale_name()).ungettext(singular, plural, n)


_KEPT_TRANSLATIONS = KeptTranslations()


class FlaskForm(TextChecks, _FlaskForm):
    """Flask-WTF's form (CSRF) with the text checks: the base of every posted form."""

    class Meta(FastSelects):
        """Fast selects (``render_select``); WTForms' messages from ``KeptTranslations``."""

        def get_translations(self, form):
            """``KeptTranslations`` where Flask-WTF would translate WTForms' messages."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _KEPT_TRANSLATIONS


class Form(TextChecks, _Form):
    """WTForms' plain form with the text checks: GET forms and rows nested in a form."""

    class Meta(FastSelects):
        """Fast selects (``render_select``)."""
