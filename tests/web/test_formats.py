"""The memoised formatters show what Babel shows, for every value that looks alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_datetime
from flask_babel import force_locale, gettext
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import IntegerField

from circle.core.formats import (
    date_text,
    decimal_text,
    local_datetime_text,
)
from circle.core.money import format_money
from circle.dues.views import state_label
from circle.meetings.forms import code_label
from circle.web.forms import FlaskForm
from circle.web.i18n import money


def test_the_same_instant_is_shown_in_each_time_zone_asked_for():
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert local_datetime_text(noon, "Europe/Berlin", "short", "de") == "01.07.26, 14:00"
    assert local_datetime_text(noon, "UTC", "short", "de") == format_datetime(
        noon, "short", locale="de"
    )


def test_each_language_has_its_own_entry():
    day = date(2024, 12, 2)
    assert date_text(day, "medium", "de") == "02.12.2024"
    assert date_text(day, "medium", "en") == "Dec 2, 2024"
    assert decimal_text(2.5, "#,##0.#", "de") == "2,5"
    assert decimal_text(2.5, "#,##0.#", "en") == "2.5"
    assert format_money(123450, "EUR", "de") == "1.234,50\xa0€"
    assert format_money(123450, "EUR", "en") == "€1,234.50"


def test_a_template_translates_in_the_language_in_force_at_each_string(app):
    # The page's catalogue is kept for the request; a mail rendered within the same
    # request in its member's language (force_locale) must not get the page's one.
    template = app.jinja_env.from_string("{{ _('My open referrals') }}")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert template.render() == "Meine offenen Empfehlungen"
        with force_locale("en"):
            assert template.render() == "My open referrals"
            assert gettext("My open referrals") == "My open referrals"
        assert template.render() == "Meine offenen Empfehlungen"
        assert gettext("My open referrals") == "Meine offenen Empfehlungen"


def test_a_stored_value_is_named_in_the_language_in_force_at_each_call(app):
    # Names are translated, amounts formatted, once per language: a mail in its member's
    # language (force_locale) inside a German page gets English ones, the page German again.
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert state_label("overdue") == gettext("overdue") == "überfällig"
        assert money(123450, "EUR") == "1.234,50\N{NO-BREAK SPACE}€"
        with force_locale("en"):
            assert (state_label("overdue"), code_label("L")) == ("overdue", "L \N{EN DASH} late")
            assert money(123450, "EUR") == "€1,234.50"
        assert code_label("L") == "L \N{EN DASH} verspätet"
        assert state_label("overdue") == "überfällig"
        # A value without a name reads as stored; an attendance code not recorded, empty.
        assert (state_label("frozen"), code_label(None)) == ("frozen", "")


class _Count(FlaskForm):
    n = IntegerField()


def test_wtforms_own_messages_follow_the_language_in_force(app):
    # WTForms' catalogue is read once per language: a German request gets German, and
    # English where English is in force (a mail's language inside the request).
    sent = {"data": {"n": "x"}, "headers": {"Accept-Language": "de"}}
    with app.test_request_context("/", method="POST", **sent):
        assert _Count(meta={"csrf": False}).n.process_errors == ["Keine gültige, ganze Zahl."]
        with force_locale("en"):
            assert _Count(meta={"csrf": False}).n.process_errors == ["Not a valid integer value."]
        assert _Count(meta={"csrf": False}).n.process_errors == ["Keine gültige, ganze Zahl."]


def test_template_text_follows_jinjas_rules_for_escaping_and_placeholders(app):
    # The templates' _() and ngettext() are Circle's own (one call instead of three): what
    # they give must stay what Jinja's new-style gettext gives.
    def render(source: str, **values) -> str:
        return app.jinja_env.from_string(source).render(**values)

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        # A text without keywords is still a format string: "%%" is one "%".
        assert render("{{ _('Lopsided: 0 %% balanced') }}") == "Lopsided: 0 % balanced"
        # A keyword is escaped where the template escapes; the text itself is not.
        assert (
            render("{{ _('Voided: %(reason)s', reason=r) }}", r="<b>&") == "Voided: &lt;b&gt;&amp;"
        )
        assert render("{{ ngettext('%(num)s minute', '%(num)s minutes', n) }}", n=1) == ("1 minute")
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert render("{{ ngettext('%(num)s minute', '%(num)s minutes', n) }}", n=90) == (
            "90 Minuten"
        )
        assert render("{{ _('My open referrals') }}") == "Meine offenen Empfehlungen"


def test_every_csrf_token_of_a_page_is_the_requests_one(app):
    # A page with a form per row asks csrf_token() in each; all are the one token the
    # request signed, which is the one Flask-WTF checks.
    template = app.jinja_env.from_string("{{ csrf_token() }}|{{ csrf_token() }}")
    with app.test_request_context("/"):
        first, second = template.render().split("|")
        assert first == second == generate_csrf()
        validate_csrf(first)
