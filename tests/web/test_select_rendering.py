"""Selects are drawn by ``circle.web.forms.render_select`` exactly as WTForms' widget
draws them: values and labels escaped, the chosen option marked, attributes in order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from circle.web.forms import Form


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
