"""Import and export through the pages, the API and the CLI: rights, previews, refusals."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from circle.extensions import db as _db
from circle.models import ImportJob
from tests.imports.support import (
    BILLION_LAUGHS,
    METADATA_PREVIEW,
    checked,
    confirmed,
    counts,
    fixture,
    job_form,
    run_jobs,
    upload,
    world,
)
from tests.pages import page_forms, text

__all__ = ["world"]  # the fixture, from tests/imports/support.py

NAMES = ("Bernd Meyer", "Clara Wolf", "Dieter Koch")


# --- pages -----------------------------------------------------------------------------


def test_admin_previews_then_confirms_an_import(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    show = text(client.get(f"/circles/{circle.id}"))
    assert f"/circles/{circle.id}/import" in show and f"/circles/{circle.id}/export" in show

    # The upload is a job: its page shows the bar until the worker has checked the file.
    sent = upload(client, circle.id)
    assert sent.status_code == 303
    waiting = text(client.get(sent.headers["Location"]))
    assert "Checking the file" in waiting and "<progress" in waiting
    assert "Waiting for the worker" in waiting
    assert not [f for f in page_forms(waiting) if f["action"].endswith("/confirm")]
    assert "bni_slips_metadata.xls" in text(client.get(f"/circles/{circle.id}/import"))

    run_jobs(app)
    preview = client.get(sent.headers["Location"])
    body = text(preview)
    assert preview.status_code == 200
    assert "Gerda Extern" in body and "Preview" in body and "Import 11 entries" in body
    assert counts(app) == (0, 0, 0, 0, 0)

    result = confirmed(app, client, preview)
    assert result.status_code == 200 and "Import result" in text(result)
    assert counts(app) == (4, 4, 3, 1, 1)

    # The job has ended: confirming it again changes nothing.
    form = job_form(body, "confirm")
    again = client.post(form["action"], data=form["fields"])
    assert again.status_code == 303
    run_jobs(app)
    assert counts(app) == (4, 4, 3, 1, 1)
    second = text(checked(app, client, circle.id))
    assert "Nothing new to import" in second
    assert not [f for f in page_forms(second) if f["action"].endswith("/confirm")]


def test_the_status_follows_the_job_for_its_progress_bar(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    page = upload(client, circle.id)
    status_url = page.headers["Location"] + "/status"
    waiting = client.get(status_url)
    assert waiting.status_code == 200 and waiting.headers["Cache-Control"] == "no-store"
    assert waiting.json == {
        "state": "queued",
        "stage": None,
        "done": 0,
        "total": None,
        "percent": None,
        "cancelling": False,
    }
    run_jobs(app)
    assert client.get(status_url).json["state"] == "checked"


def test_preview_lists_row_errors_and_offers_no_confirmation(app, client, auth, world):
    auth.login(world["admin"])
    response = checked(app, client, world["circle"].id, name="bni_slips_bad.xls")
    body = text(response)
    assert response.status_code == 200
    assert "6 rows have errors; nothing was imported." in body
    assert "zwölf is not an amount." in body
    assert not [f for f in page_forms(body) if f["action"].endswith("/confirm")]
    assert counts(app) == (0, 0, 0, 0, 0)


def test_unreadable_uploads_fail_their_job_with_the_reason(app, client, auth, world):
    auth.login(world["admin"])
    laughs = text(checked(app, client, world["circle"].id, data=BILLION_LAUGHS))
    assert "The file declares XML entities or a DTD, which are not allowed." in laughs
    garbage = text(checked(app, client, world["circle"].id, data=b"\xff\xfe\x00garbage" * 50))
    assert "nor a CSV file in UTF-8" in garbage
    missing_date = text(checked(app, client, world["circle"].id, day=""))
    assert "BNI slips carry no date" in missing_date
    for body in (laughs, garbage, missing_date):
        assert not [f for f in page_forms(body) if f["action"].endswith("/confirm")]
    assert counts(app) == (0, 0, 0, 0, 0)
    with app.app_context():  # a failed job keeps no file
        assert (
            _db.session.execute(
                select(func.count()).where(ImportJob.data.is_not(None))
            ).scalar_one()
            == 0
        )


def test_an_empty_upload_form_is_refused_on_the_form(app, client, auth, world):
    auth.login(world["admin"])
    page = client.get(f"/circles/{world['circle'].id}/import")
    form = next(f for f in page_forms(text(page)) if "file" in f["fields"])
    response = client.post(
        f"/circles/{world['circle'].id}/import",
        data={"csrf_token": form["fields"]["csrf_token"], "date": "2025-03-05"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Choose a file." in text(response)


def test_a_job_id_that_is_not_one_is_404_and_imports_nothing(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    page = checked(app, client, circle.id)
    form = job_form(text(page), "confirm")
    for job_id in ("../../etc/passwd", "0" * 32, "Z" * 32, "1"):
        action = form["action"].replace(page.job_url.rsplit("/", 1)[1], job_id)
        assert client.post(action, data=form["fields"]).status_code == 404, job_id
        assert client.get(f"/circles/{circle.id}/import/jobs/{job_id}").status_code == 404
    assert counts(app) == (0, 0, 0, 0, 0)


def test_cancelling_a_checked_job_drops_its_file_and_imports_nothing(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    page = checked(app, client, circle.id)
    confirm = job_form(text(page), "confirm")
    cancel = job_form(text(page), "cancel")
    done = client.post(cancel["action"], data=cancel["fields"], follow_redirects=True)
    assert "The import was cancelled; nothing was imported." in text(done)
    assert "This import was cancelled" in text(done)
    late = client.post(confirm["action"], data=confirm["fields"], follow_redirects=True)
    assert "This import is not waiting for a confirmation." in text(late)
    assert run_jobs(app) == []
    assert counts(app) == (0, 0, 0, 0, 0)
    again = client.post(cancel["action"], data=cancel["fields"], follow_redirects=True)
    assert "had already ended" in text(again)
    with app.app_context():
        job = _db.session.execute(select(ImportJob)).scalar_one()
        assert (job.state, job.data) == ("cancelled", None)


def test_a_job_waiting_for_the_worker_is_cancelled_before_it_starts(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    sent = upload(client, circle.id)
    cancel = job_form(text(client.get(sent.headers["Location"])), "cancel")
    assert client.post(cancel["action"], data=cancel["fields"]).status_code == 303
    assert run_jobs(app) == []  # nothing left for the worker
    assert "This import was cancelled" in text(client.get(sent.headers["Location"]))


def test_plain_members_get_403_and_other_circles_404(app, client, auth, world, make):
    circle = world["circle"]
    auth.login(world["admin"])
    page = checked(app, client, circle.id)
    confirm = job_form(text(page), "confirm")
    auth.logout()

    auth.login(world["member"])
    assert client.get(f"/circles/{circle.id}/import").status_code == 403
    assert client.get(page.job_url).status_code == 403
    assert client.get(page.job_url + "/status").status_code == 403
    assert client.post(confirm["action"], data=confirm["fields"]).status_code in (400, 403)
    assert f'/circles/{circle.id}/import"' not in text(client.get(f"/circles/{circle.id}"))
    auth.logout()

    auth.login(world["outsider"])
    for url in (
        f"/circles/{circle.id}/import",
        f"/circles/{circle.id}/imports/1",
        page.job_url,
        page.job_url + "/status",
        f"/circles/{circle.id}/export",
        f"/circles/{circle.id}/export.csv",
    ):
        assert client.get(url).status_code == 404, url
    run_jobs(app)
    assert counts(app) == (0, 0, 0, 0, 0)


def test_import_results_and_jobs_of_another_circle_are_404(app, client, auth, world, make):
    auth.login(world["admin"])
    page = checked(app, client, world["circle"].id)
    result = confirmed(app, client, page)
    import_id = int(result.request.path.rsplit("/", 1)[1])
    own = make.circle(admin=world["admin"], admin_profession="Steuerberatung")
    assert client.get(f"/circles/{own.id}/imports/{import_id}").status_code == 404
    job_id = page.job_url.rsplit("/", 1)[1]
    assert client.get(f"/circles/{own.id}/import/jobs/{job_id}").status_code == 404


def test_export_download_for_admins_and_members(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["admin"])
    confirmed(app, client, checked(app, client, circle.id))

    page = client.get(f"/circles/{circle.id}/export")
    assert page.status_code == 200 and "every entry of the circle" in text(page)
    response = client.get(f"/circles/{circle.id}/export.csv?from=2025-03-01&to=2025-03-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 8
    assert sorted(r["amount"] for r in rows if r["type"] == "closed_business") == [
        "1200.00",
        "1200.00",
        "300.00",
        "5.50",
    ]
    bad = client.get(f"/circles/{circle.id}/export.csv?from=2025-03-31&to=2025-03-01")
    assert bad.status_code == 422 and "after its end" in text(bad)
    nonsense = client.get(f"/circles/{circle.id}/export.csv?from=yesterday")
    assert nonsense.status_code == 422
    auth.logout()

    auth.login(world["member"])  # Bernd Meyer
    mine = client.get(f"/circles/{circle.id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(mine.get_data(as_text=True))))
    assert len(rows) == 4
    assert all("Bernd Meyer" in (r["giver"], r["receiver"]) for r in rows)


# --- API ---------------------------------------------------------------------------------


def api_upload(api, circle_id, data, *, name="slips.xls", **fields):
    """POST a multipart upload to the imports endpoint."""
    form = {"file": (io.BytesIO(data), name), **fields}
    return api.client.post(
        f"/api/v1/circles/{circle_id}/imports",
        data=form,
        content_type="multipart/form-data",
        headers=api._headers(),
    )


def test_api_preview_200_commit_201_same_file_twice_adds_nothing(app, api, world):
    circle = world["circle"]
    api.as_user(world["admin"])
    data = fixture("bni_slips_metadata.xls")
    preview = api_upload(api, circle.id, data, date="2025-03-05")
    assert preview.status_code == 200
    assert preview.get_json() == METADATA_PREVIEW
    assert counts(app) == (0, 0, 0, 0, 0)

    done = api_upload(api, circle.id, data, date="2025-03-05", dry_run="false")
    assert done.status_code == 201
    body = done.get_json()
    assert body["import_id"] and {**body, "import_id": None} == METADATA_PREVIEW
    assert counts(app) == (4, 4, 3, 1, 1)

    again = api_upload(api, circle.id, data, date="2025-03-05", dry_run="false")
    assert again.status_code == 201
    assert (again.get_json()["already_imported"], again.get_json()["referrals"]) == (11, 0)
    assert counts(app)[:4] == (4, 4, 3, 1)


def test_api_commit_with_row_errors_is_422_and_writes_nothing(app, api, world):
    api.as_user(world["admin"])
    response = api_upload(
        api, world["circle"].id, fixture("bni_slips_bad.xls"), date="2025-03-05", dry_run="false"
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "import_rejected"
    assert body["errors"]["6"] == ["zwölf is not an amount."]
    assert [e["row"] for e in body["preview"]["errors"]] == [4, 5, 6, 7, 8, 10]
    assert counts(app) == (0, 0, 0, 0, 0)
    preview = api_upload(api, world["circle"].id, fixture("bni_slips_bad.xls"), date="2025-03-05")
    assert preview.status_code == 200 and preview.get_json()["error_count"] == 6


@pytest.mark.parametrize(
    ("data", "fields", "field", "message"),
    [
        (BILLION_LAUGHS, {"date": "2025-03-05"}, "file", "DTD, which are not allowed"),
        (b"\x00\x01garbage\xff" * 100, {}, "file", "nor a CSV file in UTF-8"),
        (fixture("bni_slips_plain.xls"), {}, "date", "BNI slips carry no date"),
        (fixture("bni_slips_plain.xls"), {"date": "5.3.2025"}, "date", "YYYY-MM-DD"),
        (fixture("bni_slips_plain.xls"), {"dry_run": "maybe"}, "dry_run", "boolean"),
    ],
)
def test_api_refuses_unreadable_uploads_with_422(app, api, world, data, fields, field, message):
    api.as_user(world["admin"])
    response = api_upload(api, world["circle"].id, data, **fields)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert message in response.get_json()["errors"][field][0]
    assert counts(app) == (0, 0, 0, 0, 0)


def test_api_import_needs_multipart_a_file_an_admin_and_a_circle_of_ones_own(app, api, world):
    circle = world["circle"]
    url = f"/api/v1/circles/{circle.id}/imports"
    api.as_user(world["admin"])
    as_json = api.post(url, json={"file": "x"})
    assert as_json.status_code == 415 and as_json.get_json()["code"] == "unsupported_media_type"
    no_file = api.client.post(
        url, data={"date": "2025-03-05"}, content_type="multipart/form-data", headers=api._headers()
    )
    assert no_file.status_code == 422 and "file" in no_file.get_json()["errors"]

    api.as_user(world["member"])
    forbidden = api_upload(api, circle.id, fixture("bni_slips_plain.xls"), date="2025-03-05")
    assert forbidden.status_code == 403
    api.as_user(world["outsider"])
    hidden = api_upload(api, circle.id, fixture("bni_slips_plain.xls"), date="2025-03-05")
    assert hidden.status_code == 404
    assert api.get(f"/api/v1/circles/{circle.id}/export.csv").status_code == 404
    assert counts(app) == (0, 0, 0, 0, 0)


def test_api_export_csv_round_trips_through_the_import(app, api, world, make):
    circle = world["circle"]
    api.as_user(world["admin"])
    api_upload(api, circle.id, fixture("bni_slips_metadata.xls"), date="2025-03-05", dry_run="0")
    response = api.get(f"/api/v1/circles/{circle.id}/export.csv?from=2025-03-05&to=2025-03-05")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    exported = response.get_data()
    again = api_upload(api, circle.id, exported, name="export.csv", dry_run="false")
    assert again.status_code == 201
    assert again.get_json()["already_imported"] == 8 and again.get_json()["referrals"] == 0
    bad = api.get(f"/api/v1/circles/{circle.id}/export.csv?from=2025-02-30")
    assert bad.status_code == 422


def test_openapi_documents_the_upload_and_the_csv(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    upload_op = paths["/api/v1/circles/{circle_id}/imports"]["post"]
    schema = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ImportForm"}
    assert {"200", "201", "403", "404", "415", "422"} <= set(upload_op["responses"])
    assert "`import_rejected`" in upload_op["responses"]["422"]["description"]
    export_op = paths["/api/v1/circles/{circle_id}/export.csv"]["get"]
    assert "text/csv" in export_op["responses"]["200"]["content"]
    assert {p["name"] for p in export_op["parameters"]} == {"circle_id", "from", "to"}


# --- CLI ---------------------------------------------------------------------------------


def test_cli_previews_and_commits_with_progress(app, world, tmp_path):
    path = tmp_path / "slips.xls"
    path.write_bytes(fixture("bni_slips_metadata.xls"))
    runner = app.test_cli_runner()
    circle_id = str(world["circle"].id)
    dry = runner.invoke(args=["circle", "import", circle_id, str(path), "--date", "2025-03-05"])
    assert dry.exit_code == 0, dry.output
    assert "Referrals: 4" in dry.output and "Gerda Extern" in dry.output
    assert "nothing was written" in dry.output
    assert counts(app) == (0, 0, 0, 0, 0)

    done = runner.invoke(
        args=["circle", "import", circle_id, str(path), "--date", "2025-03-05", "--commit"]
    )
    assert done.exit_code == 0, done.output
    assert "written 11/11 rows" in done.output and "Imported (import" in done.output
    assert counts(app) == (4, 4, 3, 1, 1)


def test_cli_refuses_bad_files_and_unknown_circles(app, world, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.xls"
    bad.write_bytes(fixture("bni_slips_bad.xls"))
    circle_id = str(world["circle"].id)
    result = runner.invoke(
        args=["circle", "import", circle_id, str(bad), "--date", "2025-03-05", "--commit"]
    )
    assert result.exit_code == 1
    assert "Row 6: zwölf is not an amount." in result.output
    assert "6 rows have errors; nothing was imported." in result.output
    missing = runner.invoke(args=["circle", "import", "999999", str(bad), "--date", "2025-03-05"])
    assert missing.exit_code == 1 and "Circle 999999 not found." in missing.output
    future = runner.invoke(
        args=["circle", "import", circle_id, str(bad), "--date", str(date(2999, 1, 1))]
    )
    assert future.exit_code == 1 and "future" in future.output
    assert counts(app) == (0, 0, 0, 0, 0)


# --- API: import jobs ------------------------------------------------------------------


def test_api_import_job_is_checked_confirmed_and_imported_by_the_worker(app, api, world):
    circle = world["circle"]
    api.as_user(world["admin"])
    sent = api.client.post(
        f"/api/v1/circles/{circle.id}/import-jobs",
        data={
            "file": (io.BytesIO(fixture("bni_slips_metadata.xls")), "slips.xls"),
            "date": "2025-03-05",
        },
        content_type="multipart/form-data",
        headers=api._headers(),
    )
    assert sent.status_code == 202
    job = sent.json
    assert (job["state"], job["summary"], job["filename"]) == ("queued", None, "slips.xls")
    url = f"/api/v1/circles/{circle.id}/import-jobs/{job['id']}"
    run_jobs(app)
    preview = api.get(url).json
    assert preview["state"] == "checked"
    assert preview["summary"] == METADATA_PREVIEW
    confirmed_job = api.post(url + "/confirm")
    assert confirmed_job.status_code == 202 and confirmed_job.json["state"] == "confirmed"
    assert api.post(url + "/confirm").status_code == 409  # once
    run_jobs(app)
    done = api.get(url).json
    assert done["state"] == "done" and done["import_id"] is not None
    assert done["summary"]["referrals"] == 4
    assert counts(app) == (4, 4, 3, 1, 1)
    assert api.post(url + "/cancel").status_code == 409  # it has ended


def test_api_import_jobs_are_for_the_circles_admins(app, api, world):
    circle = world["circle"]
    api.as_user(world["admin"])
    sent = api.client.post(
        f"/api/v1/circles/{circle.id}/import-jobs",
        data={"file": (io.BytesIO(b"type,date\n"), "a.csv")},
        content_type="multipart/form-data",
        headers=api._headers(),
    )
    url = f"/api/v1/circles/{circle.id}/import-jobs/{sent.json['id']}"
    cancelled = api.post(url + "/cancel")
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    api.as_user(world["member"])
    assert api.get(url).status_code == 403
    api.as_user(world["outsider"])
    assert api.get(url).status_code == 404
    assert api.get(f"/api/v1/circles/{circle.id}/import-jobs/{'0' * 32}").status_code == 404
