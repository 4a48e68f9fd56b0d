"""``flask circle ...`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from circle.db import unit_of_work
from circle.extensions import db

circle_cli = AppGroup("circle", help="Circle administration commands.")


@circle_cli.command("demo")
@click.option("--force", is_flag=True, help="Allow loading demo data outside development.")
def demo_command(force: bool) -> None:
    """Load the demo circle "Kreis Köln-Süd" (idempotent) and print the demo logins."""
    from circle.demo import DEMO_CIRCLE, DEMO_PASSWORD, PEOPLE, load_demo

    if current_app.config["CIRCLE_ENV"] == "production" and not force:
        raise click.UsageError("Refusing to load demo data in production (use --force).")
    base_url = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base_url), unit_of_work(db.session):
        circle = load_demo()
    click.echo(f"Demo circle: {DEMO_CIRCLE} (id {circle.id})")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for person in PEOPLE[:4]:
        click.echo(f"  {person.email:<32} {person.name}, {person.profession} ({person.role})")
    click.echo(f"  ... and {len(PEOPLE) - 4} more, e.g. eva@... (applicant), sven@... (waitlist)")
    click.echo(f"Open {base_url}/login")
