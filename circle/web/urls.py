"""The templates' ``url_for``: Flask's, with a short way for the common link.

A page builds dozens of links (a directory card links to its member's profile, vCard and
picture): Flask finds the request's adapter, blueprint and defaults again for each
(5 us a link). A link to an endpoint of one rule, given exactly that rule's arguments
and nothing else (no anchor, no query), is the rule's own builder's path under the
request's script root (1.3 us; the request is read from Flask's context variable, as
Flask itself does). Every endpoint's short way is checked once against Flask's answer;
an endpoint where the two differ, and every other link, goes through Flask as before.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.globals import _cv_request

#: Per endpoint and argument names: the rule whose builder makes the link, or None when
#: the link goes through Flask (not one rule, other arguments, or a differing answer).
_rules: dict[tuple[str, frozenset[str]], object | None] = {}


def _rule_for(app: Flask, endpoint: str, names: frozenset[str]):
    """The single rule of ``endpoint`` whose arguments are exactly ``names`` and that has
    no defaults, or None."""
    found = app.url_map._rules_by_endpoint.get(endpoint, [])
    if len(found) != 1:
        return None
    rule = found[0]
    if rule.defaults or rule.arguments != names:
        return None
    return rule


#: ``_rules`` has not decided the endpoint and argument names yet.
_UNDECIDED = object()


def template_url_for(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as Flask answers it, in one step for a plain link."""
    rule = _rules.get((endpoint, frozenset(values)), _UNDECIDED)
    if rule is not None and rule is not _UNDECIDED and None not in values.values():
        return _cv_request.get().request.root_path + rule._build(**values)[1]
    app = current_app._get_current_object()
    answer = app.url_for(endpoint, **values)
    if rule is _UNDECIDED:
        _rules[endpoint, frozenset(values)] = _checked_rule(app, endpoint, values, answer)
    return answer


def _checked_rule(app: Flask, endpoint: str, values: dict, answer: str):
    """The rule that builds ``answer`` itself (``_rule_for``), or None when there is none
    or its link differs from Flask's."""
    if None in values.values():
        return None
    rule = _rule_for(app, endpoint, frozenset(values))
    if rule is None:
        return None
    try:
        short = request.root_path + rule._build(**values)[1]
    except Exception:  # a converter refused: Flask's way answered, and goes on answering
        return None
    return rule if short == answer else None


def install_url_for(app: Flask) -> None:
    """Give the templates ``template_url_for`` as ``url_for``; not where the app adds
    defaults to links (``url_defaults``), which only Flask's way applies."""
    if not app.url_default_functions:
        app.jinja_env.globals["url_for"] = template_url_for
