"""Uploads waiting for their confirmation live in the database (issue 16: every server of
the fleet confirms what another previewed), once per circle and file, for a day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from circle.core.clock import utcnow
from circle.extensions import db
from circle.imports import storage
from circle.models import ImportUpload
from tests.imports.support import counts, upload, world
from tests.pages import page_forms, text

__all__ = ["world"]  # the fixture, from tests/imports/support.py


def _confirm_form(body: str) -> dict:
    return next(f for f in page_forms(body) if f["action"].endswith("/import/confirm"))


def test_a_previewed_upload_is_kept_in_the_database_once_and_confirmed_from_it(
    app, client, auth, world
):
    circle = world["circle"]
    auth.login(world["admin"])
    confirm = _confirm_form(text(upload(client, circle.id)))
    _confirm_form(text(upload(client, circle.id)))  # the same file again: the same row
    with app.app_context():
        [kept] = db.session.execute(select(ImportUpload)).scalars().all()
        assert (kept.circle_id, kept.sha256) == (circle.id, confirm["fields"]["sha"])
    assert client.post(confirm["action"], data=confirm["fields"]).status_code == 302
    assert counts(app) == (4, 4, 3, 1, 1)
    with app.app_context():  # imported: the upload is gone
        assert db.session.execute(select(ImportUpload)).scalars().all() == []


def test_an_upload_older_than_a_day_is_refused_and_removed(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    confirm = _confirm_form(text(upload(client, circle.id)))
    with app.app_context():
        db.session.execute(update(ImportUpload).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    refused = client.post(confirm["action"], data=confirm["fields"])
    assert refused.status_code == 302
    assert "The upload has expired" in text(client.get(refused.headers["Location"]))
    assert counts(app) == (0, 0, 0, 0, 0)
    with app.test_request_context():  # the next upload or the nightly purge sweeps it
        assert storage.prune() == 1
        db.session.commit()
        assert db.session.execute(select(ImportUpload)).scalars().all() == []
