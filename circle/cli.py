"""``flask circle ...`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from circle.db import unit_of_work
from circle.extensions import db

circle_cli = AppGroup("circle", help="Circle administration commands.")


def _base_url() -> str:
    """The site's address (``BASE_URL``; ``make run``'s in development)."""
    return current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"


def _site_request():
    """A request context on the site's address, so that mailed links made by a command
    are the site's own."""
    return current_app.test_request_context(base_url=_base_url())


@circle_cli.command("demo")
@click.option("--force", is_flag=True, help="Allow loading demo data outside development.")
def demo_command(force: bool) -> None:
    """Load the demo circle "Kreis Köln-Süd" (idempotent) and print the demo logins."""
    from circle.demo import DEMO_CIRCLE, DEMO_PASSWORD, PEOPLE, load_demo

    if current_app.config["CIRCLE_ENV"] == "production" and not force:
        raise click.UsageError("Refusing to load demo data in production (use --force).")
    with _site_request(), unit_of_work(db.session):
        circle = load_demo()
    click.echo(f"Demo circle: {DEMO_CIRCLE} (id {circle.id})")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for person in PEOPLE[:4]:
        click.echo(f"  {person.email:<32} {person.name}, {person.profession} ({person.role})")
    click.echo(f"  ... and {len(PEOPLE) - 4} more, e.g. eva@... (applicant), sven@... (waitlist)")
    click.echo(f"Open {_base_url()}/login")


@circle_cli.command("import")
@click.argument("circle_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--date",
    "slip_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the imported slips are dated (YYYY-MM-DD; required for BNI files).",
)
@click.option("--commit", "do_commit", is_flag=True, help="Import; without it only a preview.")
def import_command(circle_id: int, file: str, slip_date, do_commit: bool) -> None:
    """Preview (or with --commit, run) the import of FILE into circle CIRCLE_ID.

    FILE is BNI Connect's Slips Audit Report (.xls, XML Spreadsheet 2003) or a CSV
    exported from Circle. All rows or none are imported; rows imported before are
    skipped. No mails are sent.
    """
    import time
    from pathlib import Path

    from circle.core.errors import DomainError
    from circle.imports import services as imports
    from circle.models import Circle

    day = slip_date.date() if slip_date else None
    data = Path(file).read_bytes()
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int | None) -> None:
        """Print a line per reported step."""
        label = {"read": "read", "check": "checked", "write": "written"}.get(stage, stage)
        suffix = f"/{total}" if total else ""
        click.echo(f"  {label} {done}{suffix} rows ({time.perf_counter() - started:.1f}s)")

    with _site_request():
        circle = db.session.get(Circle, circle_id)
        if circle is None:
            raise click.ClickException(f"Circle {circle_id} not found.")
        try:
            if do_commit:
                with unit_of_work(db.session):
                    summary = imports.commit(
                        circle,
                        None,
                        data,
                        filename=Path(file).name,
                        slip_date=day,
                        progress=progress,
                    )
            else:
                summary = imports.preview(circle, data, slip_date=day, progress=progress)
        except imports.ImportRejected as error:
            _echo_summary(error.summary)
            raise click.ClickException(error.message) from None
        except DomainError as error:
            raise click.ClickException(error.message) from None
    _echo_summary(summary)
    elapsed = time.perf_counter() - started
    if do_commit:
        click.echo(f"Imported (import {summary.import_id}) in {elapsed:.1f}s.")
    else:
        click.echo(f"Dry run in {elapsed:.1f}s: nothing was written. Add --commit to import.")


def _echo_summary(summary) -> None:
    """Print an import summary: counts, unmatched names and row errors."""
    click.echo(f"Format: {summary.format}; rows: {summary.rows}")
    click.echo(f"Referrals: {summary.referrals}")
    click.echo(f"Closed business: {summary.closed_business}")
    for slip_type, count in summary.other_slips.items():
        click.echo(f"{slip_type}: {count}")
    click.echo(f"One-to-ones of members: {summary.one_to_ones}")
    click.echo(f"Education credits of members: {summary.education_credits}")
    click.echo(f"Already imported: {summary.already_imported}")
    if summary.unmatched_names:
        click.echo("Names matching no member (external parties): ")
        for name in summary.unmatched_names:
            click.echo(f"  {name}")
    for error in summary.errors:
        click.echo(f"Row {error.row}: {error.message}", err=True)
    if summary.error_count > len(summary.errors):
        click.echo(f"... {summary.error_count - len(summary.errors)} more errors", err=True)


@circle_cli.command("send-reminders")
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as if today were this day (YYYY-MM-DD); default: today in each circle's zone.",
)
def send_reminders_command(today) -> None:
    """Mail every member of the circles that meet tomorrow what they logged this week.

    Meant for cron, once a day. Idempotent: a member gets one reminder per week, so a
    second run sends nothing. Cancelled meetings send nothing.
    """
    from circle.reminders.services import send_reminders

    with _site_request():
        summary = send_reminders(today.date() if today else None)
    for run in summary.circles:
        if run.skipped:
            click.echo(f"{run.circle}: {run.skipped}")
        else:
            click.echo(
                f"{run.circle}: meeting on {run.meeting_on.isoformat()}; "
                f"{run.sent} reminders sent, {run.already} already sent, {run.failed} failed"
            )
    click.echo(f"Reminders sent: {summary.sent}; already sent before: {summary.already}")
    if summary.failed:
        raise click.ClickException(f"{summary.failed} reminders failed; run again to retry.")


@circle_cli.command("remind-dues")
def remind_dues_command() -> None:
    """Mail the members whose dues are overdue (past the grace days), once per due day.

    The worker's scheduler runs this daily; by hand it sends only what is not sent yet.
    """
    from circle.dues.reminders import remind_all_overdue

    with _site_request():
        reminded = remind_all_overdue()
    click.echo(f"Overdue-dues reminders sent: {reminded}")


@circle_cli.command("warn-absences")
def warn_absences_command() -> None:
    """Mail each circle's officers the seats at risk under the absence rule, once a week.

    The worker's scheduler runs this every Monday; by hand it sends only what is not sent
    yet this week.
    """
    from circle.meetings.absence_warnings import warn_all

    with _site_request():
        warned = warn_all()
    click.echo(f"Absence warnings sent: {warned}")


@circle_cli.command("purge-prospects")
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as if today were this day (YYYY-MM-DD); default: today in each circle's zone.",
)
def purge_prospects_command(today) -> None:
    """Erase prospect details (names, phones, e-mails) older than each circle's retention.

    Meant for cron, once a day. The referrals themselves stay; only the third party's
    details are blanked (also in the audit trail). Idempotent: a second run erases nothing.
    """
    from circle.privacy.retention import purge_prospects

    with unit_of_work(db.session):
        summary = purge_prospects(today.date() if today else None)
    for run in summary.circles:
        click.echo(
            f"{run.circle}: {run.erased} referrals erased "
            f"(given before {run.cutoff.isoformat()}, {run.months} months)"
        )
    click.echo(f"Prospect details erased: {summary.erased} referrals")


@circle_cli.command("purge-sessions")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0))
def purge_sessions_command(days: int) -> None:
    """Delete login sessions and remember-me tokens that have been over for DAYS days.

    Meant for cron, once a day: what the account page no longer shows (browser, client
    address) is not kept longer than needed. Idempotent.
    """
    from circle.auth.sessions import purge

    with unit_of_work(db.session):
        sessions_gone, tokens_gone = purge(days)
    click.echo(f"Deleted {sessions_gone} sessions and {tokens_gone} remember-me tokens")


@circle_cli.command("rebuild-balance-totals")
@click.option("--circle", "circle_id", type=int, help="Only this circle (default: all).")
def rebuild_balance_totals_command(circle_id: int | None) -> None:
    """Sum the live slips into the balance's pair totals and the members' months again
    (one transaction).

    The services keep both with every slip; run this after writing slips around
    them (a restore, a hand-made fix in SQL). Idempotent.
    """
    from circle.balance.totals import rebuild

    with unit_of_work(db.session):
        rows = rebuild(circle_id)
    click.echo(f"Balance totals rebuilt: {rows} pair rows")


@circle_cli.command("deliver-mail")
def deliver_mail_command() -> None:
    """Deliver the outbox's due mails now, in this process (the worker does this by
    itself; this is for a server without one, and for looking at a stuck outbox)."""
    from circle.mail.outbox import deliver_due
    from circle.mail.send import deliver

    run = deliver_due(deliver)
    click.echo(f"{run.sent} sent, {run.retried} to retry later, {run.failed} given up")


@circle_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
@click.option(
    "--metrics-port",
    default=0,
    type=click.IntRange(min=0, max=65535),
    help="Serve this worker's Prometheus metrics on 127.0.0.1:PORT (0: not at all).",
)
def worker_command(workers: int, metrics_port: int) -> None:
    """Run the task queue's worker and scheduler in this process, on ``QUEUE_URL``
    (``make run`` starts one beside the web server; production runs it as its own
    service, or ``huey_consumer worker.huey``)."""
    from circle.tasks import jobs
    from circle.tasks.queue import huey

    jobs.bind(current_app._get_current_object())
    if metrics_port:  # loopback only: the scraper runs beside it, nobody else reads it
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    # A lock left by a killed worker would stop its job for good: cleared at the start
    # (the jobs are idempotent in the database; the locks only save double work).
    huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, flush_locks=True
    ).run()
