"""The templates' url_for gives Flask's answer for every kind of link it is asked for."""

from __future__ import annotations

import pytest
from flask import url_for

from circle.web.urls import template_url_for

LINKS = [
    ("profiles.vcard", {"circle_id": 7, "member_id": 12}),  # one rule, its arguments
    ("profiles.vcard", {"circle_id": 7, "member_id": 13}),  # the same link again, kept
    ("circles.show", {"circle_id": 3}),
    ("circles.show", {"circle_id": 3, "tab": "a b&c"}),  # a query argument
    ("circles.show", {"circle_id": 3, "_anchor": "wishes"}),
    ("circles.show", {"circle_id": 3, "missing": None}),  # None is left out
    ("referrals.week", {"circle_id": 3}),  # an endpoint of two rules
    ("referrals.week", {"circle_id": 3, "day": "2026-12-03"}),
    ("assets.favicon", {}),
    ("auth.index", {}),
]


@pytest.mark.parametrize("script_root", ["", "/kreis"])
def test_every_link_is_the_one_flask_builds(app, script_root):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        for endpoint, values in LINKS * 2:  # the second round uses what the first kept
            assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
        assert template_url_for("circles.show", circle_id=3).startswith(f"{script_root}/")


def test_a_template_builds_its_links_with_it(app):
    template = app.jinja_env.from_string("{{ url_for('circles.show', circle_id=5) }}")
    with app.test_request_context("/"):
        assert app.jinja_env.globals["url_for"] is template_url_for
        assert template.render() == url_for("circles.show", circle_id=5) == "/circles/5"
