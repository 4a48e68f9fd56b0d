"""The request boundary of the HTML views (``circle.web.boundary``): a request that is not
a GET is one transaction, committed once when the answer is below 400 and rolled back on
a refusal or an exception; a service refused inside ``attempt`` leaves nothing, the rest
of the request stays; a ``unit_of_work`` inside the boundary does not commit early."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import select

from circle.core.errors import ValidationFailed
from circle.db import unit_of_work
from circle.extensions import csrf
from circle.extensions import db as _db
from circle.models import Profession, profession_key
from circle.web.boundary import attempt, circle_page, site_page
from tests.apps import in_one_transaction
from tests.clients import AuthActions
from tests.factories import Factory

PREFIX = "Grenzfall"


def _write(name: str) -> None:
    """Add a platform-wide profession (any row would do) and flush it."""
    name = f"{PREFIX} {name}"
    _db.session.add(Profession(name=name, key=profession_key(name)))
    _db.session.flush()


def _refused() -> None:
    _write("refused")
    raise ValidationFailed("no")


def _routes() -> Blueprint:
    bp = Blueprint("boundary_probe", __name__)

    @bp.post("/probe/answer/<int:status>")
    @site_page(login=False)
    def answer(status: int):
        _write(f"answer {status}")
        return "", status

    @bp.post("/probe/raise")
    @site_page(login=False)
    def explode():
        _write("raise")
        raise RuntimeError("boom")

    @bp.post("/probe/attempt")
    @site_page(login=False)
    def partly():
        _write("kept")
        _result, error = attempt(_refused)
        assert error is not None
        return "", 200

    @bp.post("/probe/inner/<int:status>")
    @site_page(login=False)
    def inner(status: int):
        with unit_of_work(_db.session):
            _write(f"inner {status}")
        return "", status

    @bp.get("/probe/member")
    @site_page()
    def member_only():
        return "ok"

    @bp.get("/probe/circles/<int:circle_id>")
    @circle_page()
    def in_circle(circle, me):
        return f"{circle.id} {me.id}"

    csrf.exempt(bp)
    return bp


@pytest.fixture
def probe(own_app):
    """An app of its own with the probe routes, every request inside one transaction."""
    own_app.register_blueprint(_routes())
    own_app.config["PROPAGATE_EXCEPTIONS"] = False
    with in_one_transaction(own_app):
        yield own_app


def stored(app) -> set[str]:
    """The names the probes wrote and that reached the database."""
    with app.app_context():
        names = _db.session.execute(
            select(Profession.name).where(Profession.name.like(f"{PREFIX}%"))
        ).scalars()
        found = {name.removeprefix(f"{PREFIX} ") for name in names}
        _db.session.remove()
    return found


def test_an_answer_below_400_commits_and_a_refusal_rolls_back(probe):
    client = probe.test_client()
    assert client.post("/probe/answer/200").status_code == 200
    assert client.post("/probe/answer/302").status_code == 302
    assert client.post("/probe/answer/422").status_code == 422
    assert client.post("/probe/answer/409").status_code == 409
    assert stored(probe) == {"answer 200", "answer 302"}


def test_an_exception_rolls_back_and_shows_the_error_page(probe):
    response = probe.test_client().post("/probe/raise")
    assert response.status_code == 500
    assert stored(probe) == set()


def test_a_refused_service_leaves_nothing_and_the_rest_of_the_request_stays(probe):
    assert probe.test_client().post("/probe/attempt").status_code == 200
    assert stored(probe) == {"kept"}


def test_a_unit_of_work_inside_the_boundary_waits_for_its_answer(probe):
    client = probe.test_client()
    assert client.post("/probe/inner/422").status_code == 422
    assert stored(probe) == set()  # the inner block did not commit on its own
    assert client.post("/probe/inner/303").status_code == 303
    assert stored(probe) == {"inner 303"}


def test_pages_need_a_login_and_another_circle_is_404(probe):
    make = Factory(probe)
    client = probe.test_client()
    response = client.get("/probe/member")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    user = make.user()
    mine = make.circle(admin=user)
    theirs = make.circle()
    AuthActions(client).login(user)
    assert client.get("/probe/member").get_data(as_text=True) == "ok"
    seat = make.admin_seat(mine)
    assert client.get(f"/probe/circles/{mine.id}").get_data(as_text=True) == f"{mine.id} {seat.id}"
    assert client.get(f"/probe/circles/{theirs.id}").status_code == 404
