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
)
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from circle.web.forms import _FAST_INPUTS, Form


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
