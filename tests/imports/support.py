"""What the import tests share: the sample files, their expected preview, a circle whose
members match the files' names (``make_people``; the page tests' ``world`` fixture),
the upload form and the row counts of the import tables."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from circle.extensions import db as _db
from circle.imports import running
from circle.models import (
    ClosedBusiness,
    ExternalParty,
    Import,
    ImportJob,
    Membership,
    OtherSlip,
    Referral,
)
from tests.pages import page_forms, text

FIXTURES = Path(__file__).parent.parent / "fixtures"


SLIP_DATE = date(2025, 3, 5)


NAMES = ("Bernd Meyer", "Clara Wolf", "Dieter Koch")


#: The exact preview of tests/fixtures/bni_slips_metadata.xls for the circle of ``people``.
METADATA_PREVIEW = {
    "format": "bni_slips",
    "date": "2025-03-05",
    "rows": 11,
    "referrals": 4,
    "closed_business": 4,
    "other_slips": {"CEU": 1, "One-to-One": 1, "Visitor": 1},
    "one_to_ones": 1,
    "education_credits": 1,
    "already_imported": 0,
    "unmatched_names": ["Gerda Extern"],
    "new_external_parties": 1,
    "errors": [],
    "error_count": 0,
    "import_id": None,
}


def fixture(name: str) -> bytes:
    """The bytes of a file in tests/fixtures."""
    return (FIXTURES / name).read_bytes()


def make_people(make, db, names=NAMES, admin_name="Anna Schmidt"):
    """A circle whose admin is ``admin_name`` with members ``names``; merged into ctx."""
    admin = make.user(name=admin_name)
    circle = make.circle(admin=admin)
    members = [make.member(circle, make.user(name=n)) for n in names]
    admin_seat = db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
    ).scalar_one()
    seats = {admin_name: db.session.merge(admin_seat)}
    seats.update({m.user.name: db.session.merge(m) for m in members})
    return db.session.merge(circle), seats


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table>
<Row><Cell><Data>From</Data></Cell><Cell><Data>To</Data></Cell>
<Cell><Data>Slip Type</Data></Cell></Row>
<Row><Cell><Data>&lol9;</Data></Cell><Cell><Data>x</Data></Cell>
<Cell><Data>Referral</Data></Cell></Row>
</Table></Worksheet></Workbook>
"""


@pytest.fixture
def world(app, make, tmp_path):
    """The fixtures' circle (admin Anna Schmidt), a plain member, and another circle's admin."""
    admin = make.user(name="Anna Schmidt", locale="en")
    circle = make.circle(admin=admin)
    members = [make.member(circle, make.user(name=n, locale="en")) for n in NAMES]
    outsider = make.user(name="Otto Anders", locale="en")
    make.circle(admin=outsider)
    return {"circle": circle, "admin": admin, "member": members[0].user, "outsider": outsider}


def counts(app) -> tuple[int, ...]:
    """Rows of the import tables."""
    with app.app_context():
        return tuple(
            _db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Referral, ClosedBusiness, OtherSlip, ExternalParty, Import)
        )


def upload(client, circle_id, name="bni_slips_metadata.xls", day="2025-03-05", data=None):
    """Send the upload form (with the page's CSRF token)."""
    page = client.get(f"/circles/{circle_id}/import")
    assert page.status_code == 200
    form = next(f for f in page_forms(page.get_data(as_text=True)) if "file" in f["fields"])
    payload = {
        "csrf_token": form["fields"]["csrf_token"],
        "date": day,
        "file": (io.BytesIO(data if data is not None else fixture(name)), name),
    }
    return client.post(
        f"/circles/{circle_id}/import", data=payload, content_type="multipart/form-data"
    )


def run_jobs(app) -> list[str | None]:
    """Run the waiting import jobs as the worker does (the tests run without a worker:
    ``QUEUE_DISPATCH`` is off); each one's state afterwards."""
    with app.test_request_context():
        waiting = _db.session.execute(
            select(ImportJob.circle_id, ImportJob.id)
            .where(ImportJob.state.in_(("queued", "confirmed")))
            .order_by(ImportJob.created_at)
        ).all()
        _db.session.remove()
        return [running.run(circle_id, job_id) for circle_id, job_id in waiting]


def checked(app, client, circle_id, **kwargs):
    """Upload a file (``upload``'s arguments), let the worker check it and open the job's
    page: the response of the page (its URL as ``response.job_url``)."""
    sent = upload(client, circle_id, **kwargs)
    assert sent.status_code == 303, sent.status_code
    run_jobs(app)
    page = client.get(sent.headers["Location"])
    page.job_url = sent.headers["Location"]
    return page


def job_form(body: str, action: str) -> dict:
    """The job page's form whose action ends with ``action`` (confirm or cancel)."""
    return next(f for f in page_forms(body) if f["action"].endswith(f"/{action}"))


def confirmed(app, client, page):
    """Confirm a checked job's preview, let the worker import it and follow to the page
    the job leads to (the import's result): that response."""
    form = job_form(text(page), "confirm")
    sent = client.post(form["action"], data=form["fields"])
    assert sent.status_code == 303, sent.status_code
    run_jobs(app)
    return client.get(sent.headers["Location"], follow_redirects=True)
