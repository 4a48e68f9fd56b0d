"""Ids outside the database's integer range are simply not found, on every route."""

import pytest

from tests.pages import csrf_token

HUGE = ["2147483648", "99999999999999999999999999"]


def _html_rules_with_ids(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not rule.arguments:
            continue
        if any(type(rule._converters[name]).__name__ == "IdConverter" for name in rule.arguments):
            yield rule


@pytest.mark.parametrize("big", HUGE)
def test_every_html_route_answers_404_for_an_out_of_range_id(app, client, auth, make, big):
    user = make.user()
    make.circle(admin=user)
    auth.login(user)
    token = csrf_token(client.get("/account").get_data(as_text=True))
    checked = 0
    for rule in _html_rules_with_ids(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", big).replace(f"<{name}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 15  # the circle, membership and account routes that take ids
