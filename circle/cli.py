"""``flask circle ...`` commands."""

import click
from flask.cli import AppGroup

circle_cli = AppGroup("circle", help="Circle administration commands.")


@circle_cli.command("noop")
def noop():
    """Placeholder."""
    click.echo("ok")
