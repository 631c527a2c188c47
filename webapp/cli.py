"""Flask CLI commands: `flask seed-demo`, `flask jobs sweep`, ..."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.extensions import db

jobs_cli = AppGroup("jobs", help="Background jobs.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo tenants, users and programmes (safe to run again)."""
    from webapp.services import demo

    created = demo.seed()
    db.session.commit()
    click.echo(
        f"Demo data ready ({created['tenants']} tenants, {created['users']} users, "
        f"{created['programmes']} programmes created now)."
    )
    click.echo("Demo logins (password: certifikation-demo):")
    for tenant, users in demo.DEMO_USERS.items():
        for email, _name, role, _unit in users:
            click.echo(f"  {email:<22} {role.value:<8} ({tenant})")


@jobs_cli.command("sweep")
@click.option("--older-than", default=30, show_default=True, help="Seconds a job must be pending.")
def sweep(older_than: int) -> None:
    """Enqueue jobs that stayed pending (Redis was down when they were written)."""
    from webapp import jobs

    count = jobs.sweep(older_than)
    click.echo(f"{count} pending job(s) handed on.")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(jobs_cli)
