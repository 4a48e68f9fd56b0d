"""Selects (``circle.web.forms.render_select``) and inputs (``fast_html_params``) are drawn
exactly as WTForms' widgets draw them: values and labels escaped, the chosen option
marked, attributes in order."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import Flags, Label
from wtforms.validators import InputRequired, Length
from wtforms.widgets import Select, TextArea

from circle.web.forms import _FAST_INPUTS, FastFlags, FastLabel, Form


class Choices(Form):
    """Options of every kind the app's forms hold."""

    text = SelectField(
        "Text",
        choices=[SelectChoice(1, "Eins <b>"), SelectChoice(2, 'Zwei "q"'), SelectChoice("x&y", "")],
    )
    flags = SelectField(
        "Flags",
        choices=[SelectChoice(True, "yes"), SelectChoice(False, "no")],
        validators=[InputRequired()],
    )
    lazy = SelectField(
        "Lazy",
        choices=[SelectChoice("new", _l("new")), SelectChoice("repeat", _l("Cancel"))],
        render_kw={"class": "k"},
    )
    own = SelectField(
        "Own",
        choices=[SelectChoice("a", "A", render_kw={"disabled": True}), SelectChoice("b", "B")],
    )


def test_a_select_is_drawn_as_wtforms_draws_it(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        form = Choices(data={"text": 2, "lazy": "repeat", "own": "b"})
        for field in form:
            fast = str(field(data_row="1"))
            wtforms = str(Select()(field, **dict(field.render_kw or {}, data_row="1")))
            assert fast == wtforms
        assert '<option selected value="2">Zwei &#34;q&#34;</option>' in str(form.text())
        assert '<option selected value="repeat">Abbrechen</option>' in str(form.lazy())


class Inputs(Form):
    """Input widgets of every kind the app's forms hold."""

    name = StringField("Name", render_kw={"placeholder": 'Anna "die Große" <Admin>'})
    secret = PasswordField("Password", validators=[InputRequired()])
    mail = EmailField("E-mail", render_kw={"data_role": "mail", "aria_describedby": "hint"})
    hidden = HiddenField()
    day = DateField("Day")
    count = IntegerField("Count")
    agree = BooleanField("Agree")
    send = SubmitField(_l("Cancel"))


def test_inputs_write_their_attributes_as_wtforms_does(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        form = Inputs(data={"name": "Jens & Co", "day": date(2026, 12, 4), "agree": True})
        for field in form:
            fast = str(field(class_="x", disabled=False, value_extra=Markup('a"b')))
            original = next(w for w, copy in _FAST_INPUTS.items() if copy is field.widget)
            own = field.render_kw or {}
            wtforms = str(
                original(field, **own, class_="x", disabled=False, value_extra=Markup('a"b'))
            )
            assert fast == wtforms
        assert 'value="Jens &amp; Co"' in str(form.name())


class Texts(Form):
    """A text area and labels with text that needs escaping."""

    note = TextAreaField(
        'Note <i>"quoted"</i>', validators=[Length(max=500)], render_kw={"rows": 2}
    )
    name = StringField(_l("Cancel"))


def test_labels_and_text_areas_are_drawn_as_wtforms_draws_them(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        form = Texts(data={"note": 'Zeile 1\n<script>"x"</script> & Co', "name": "Jens"})
        for field in form:
            assert isinstance(field.label, FastLabel)
            plain = Label(field.label.field_id, field.label.text)
            assert str(field.label) == str(plain)
            assert str(field.label("Anders & so", class_="x")) == str(
                plain("Anders & so", class_="x")
            )
            assert str(field.label(for_="elsewhere")) == str(plain(for_="elsewhere"))
        assert str(form.name.label) == '<label for="name">Abbrechen</label>'
        fast = str(form.note(class_="wide", data_x=Markup('a"b')))
        wtforms = str(TextArea()(form.note, rows=2, class_="wide", data_x=Markup('a"b')))
        assert fast == wtforms
        assert "&lt;script&gt;" in fast and 'maxlength="500"' in fast


def test_fast_flags_give_the_widgets_the_attributes_wtforms_flags_give(app):
    # ``FastFlags`` names only the flags it holds to dir(): the widgets must still find
    # every validation attribute (required, maxlength) that WTForms' own Flags give them.
    with app.test_request_context("/"):
        for field in (Texts().note, Inputs().secret, Choices().flags):
            assert isinstance(field.flags, FastFlags)
            fast = str(field())
            field.flags.__class__ = Flags
            assert str(field()) == fast
        assert 'maxlength="500"' in str(Texts().note()) and "required" in str(Inputs().secret())
