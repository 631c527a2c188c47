"""Flask CLI commands: `flask seed-demo`, `flask jobs sweep`, ..."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import NoReturn

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp import clock, outbox
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.models import CertificationPath, Role, Tenant, User
from webapp.services import demo, people, programme_files, recertification
from webapp.services import platform as installation

jobs_cli = AppGroup("jobs", help="Background jobs.")
# The command group keeps the name `flask programs`: it is a documented interface (README,
# docs/programme-format.md) that scripts call.
programmes_cli = AppGroup("programs", help="Programme definitions as JSON files.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Rebuild the demo tenants (acme, globex) with a history ending today: certificates in
    every state, enrolments at several stages, reviews waiting (other tenants are untouched)."""

    try:
        report = demo.seed()
    except DomainError as error:
        raise click.ClickException(error.message) from error
    if report.emails:
        outbox.defer("deliver_outbox", queue="mail")  # as the daily job does for its e-mails
    db.session.commit()
    demo.delete_files(report.stale_files)
    replaced = " (the previous demo was replaced)" if report.tenants_replaced else ""
    statuses = report.certificates
    click.echo(
        f"Demo data ready as of {report.today:%Y-%m-%d}{replaced}: {report.tenants} tenants, "
        f"{report.users} users, {report.programmes} programmes."
    )
    click.echo(
        f"  certificates: {statuses.get('active', 0)} active, "
        f"{statuses.get('expiring', 0)} expiring soon, {statuses.get('expired', 0)} expired, "
        f"{statuses.get('revoked', 0)} revoked ({report.renewed_certificates} renewal)"
    )
    click.echo(
        f"  {report.open_enrolments} open enrolments, {report.reviews_waiting} reviews waiting, "
        f"{report.regrade_batches} regrade batch, {report.notifications} notifications, "
        f"{report.emails} e-mails, {report.expiry_runs} daily expiry runs replayed"
    )
    ran = outbox.dispatch_committed()
    where = "queued" if current_app.config.get("REDIS_URL") else "run"
    click.echo(f"  {ran} background jobs {where} (certificate PDFs, e-mails).")
    click.echo("Demo logins (password: certifikation-demo):")
    for tenant, users in demo.DEMO_USERS.items():
        for email, _name, role, _unit in users:
            story = demo.DEMO_STORIES.get(email, "")
            click.echo(f"  {email:<20} {role.value:<7} ({tenant}) {story}")


@jobs_cli.command("sweep")
@click.option("--older-than", default=30, show_default=True, help="Seconds a job must be pending.")
def sweep(older_than: int) -> None:
    """Enqueue jobs that stayed pending (Redis was down when they were written)."""

    count = outbox.sweep(older_than)
    click.echo(f"{count} pending job(s) handed on.")


def _tenant_programme(tenant_slug: str, programme_slug: str | None = None):

    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None:
        raise click.ClickException(f"There is no tenant with the slug “{tenant_slug}”.")
    if programme_slug is None:
        return tenant, None
    programme = db.session.scalar(
        sa.select(CertificationPath).where(
            CertificationPath.tenant_id == tenant.id, CertificationPath.slug == programme_slug
        )
    )
    if programme is None:
        raise click.ClickException(f"{tenant.name} has no programme “{programme_slug}”.")
    return tenant, programme


@programmes_cli.command("export")
@click.argument("tenant_slug")
@click.argument("programme_slug")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export_programme(tenant_slug: str, programme_slug: str, output) -> None:
    """Write a programme with its quizzes as JSON (to standard output by default)."""

    _tenant, programme = _tenant_programme(tenant_slug, programme_slug)
    document = programme_files.export_programme(programme)
    programme_files.record_export(programme, None, document)
    db.session.commit()
    output.write(programme_files.dumps(document))


@programmes_cli.command("import")
@click.argument("tenant_slug")
@click.argument("file", type=click.File("rb"))
@click.option("--slug", default=None, help="Import under this slug instead of the file's.")
@click.option("--name", default=None, help="Import under this name instead of the file's.")
def import_programme(tenant_slug: str, file, slug: str | None, name: str | None) -> None:
    """Create a draft programme from a JSON file; lists every problem and saves nothing when
    the file has any."""

    tenant, _programme = _tenant_programme(tenant_slug)
    raw = file.read(programme_files.MAX_DOCUMENT_BYTES + 1)
    try:
        programme = programme_files.import_programme(tenant, None, raw, slug=slug, name=name)
    except ValidationFailed as error:
        click.echo(error.message, err=True)
        for where, messages in error.problems.items():
            for message in messages:
                click.echo(f"  {where}: {message}", err=True)
        raise click.exceptions.Exit(1) from error
    db.session.commit()
    click.echo(f"Imported “{programme.name}” ({programme.slug}) into {tenant.name} as a draft.")


@programmes_cli.command("schema")
def programme_schema() -> None:
    """Print the JSON Schema of programme files (docs/programme-file.schema.json is this
    output: `flask programs schema > docs/programme-file.schema.json`)."""

    click.echo(programme_files.schema_text(), nl=False)


certs_cli = AppGroup("certs", help="Certificates: expiry and recertification.")


@certs_cli.command("run-expiry")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Run as if it were this date (YYYY-MM-DD, midnight UTC) or ISO time; default now.",
)
def run_expiry(as_of: str | None) -> None:
    """Expire certificates, open renewal enrolments and send due reminders (idempotent; the
    same job `rq cron` runs daily)."""

    if as_of:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError as error:
            raise click.BadParameter(
                "use YYYY-MM-DD or an ISO date-time", param_hint="--as-of"
            ) from error
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        moment = clock.now()
    report = recertification.run_expiry(moment)
    if report.emails_queued:
        outbox.defer("deliver_outbox", queue="mail")
    db.session.commit()
    outbox.dispatch_committed()
    click.echo(report.summary())
    for row in report.skipped_rows:
        click.echo(f"  skipped {row}", err=True)


def register(app: Flask) -> None:
    app.cli.add_command(platform_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(programmes_cli)
    app.cli.add_command(certs_cli)


platform_cli = AppGroup("platform", help="The installation: its operators and tenants.")


def _refused(error: ValidationFailed) -> click.exceptions.Exit:
    """Print a refusal's problems, one a line, and the exit status 1 to raise."""
    click.echo(error.message, err=True)
    for where, messages in error.problems.items():
        for message in messages:
            click.echo(f"  {where}: {message}", err=True)
    return click.exceptions.Exit(1)


@platform_cli.command("create-operator")
@click.argument("email")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def create_operator(email: str, name: str, password_stdin: bool) -> None:
    """Create an installation operator, who logs in as usual and lands on /platform/."""

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        operator = installation.create_operator(email, name, password)
    except ValidationFailed as error:
        raise _refused(error) from error
    db.session.commit()
    click.echo(f"Operator {operator.full_name} <{operator.email}> created.")


@platform_cli.command("create-tenant")
@click.argument("name")
@click.argument("admin_email")
@click.option("--slug", default="", help="The tenant's slug (default: made from NAME).")
@click.option("--admin-name", default="", help="The admin's name (default: from the e-mail).")
def create_tenant(name: str, admin_email: str, slug: str, admin_name: str) -> None:
    """Create a tenant and its first admin, who is e-mailed an invitation to set a password;
    the invitation link is printed too (a fresh install may have no mail server yet)."""

    data = {"name": name, "slug": slug, "admin_email": admin_email, "admin_name": admin_name}
    try:
        created = installation.create_tenant(data, None)
    except ValidationFailed as error:
        raise _refused(error) from error
    db.session.commit()
    link = installation.invitation_link(created.admin)
    outbox.dispatch_committed()
    click.echo(f"Tenant {created.tenant.name} ({created.tenant.slug}) created.")
    click.echo(f"Its admin {created.admin.email} was invited by e-mail. Invitation link:")
    click.echo(f"  {link}")


users_cli = AppGroup("users", help="People of a tenant: add, import from CSV, change roles.")


def _tenant(slug: str) -> Tenant:
    tenant, _programme = _tenant_programme(slug)
    return tenant


def _fail(error: DomainError) -> NoReturn:
    """Print a refusal and exit 1; nothing was written (the process ends without a commit)."""
    click.echo(error.message, err=True)
    for where, messages in getattr(error, "problems", {}).items():
        for message in messages:
            if message != error.message:
                click.echo(f"  {where}: {message}", err=True)
    raise click.exceptions.Exit(1)


def _hand_on_jobs() -> None:
    ran = outbox.dispatch_committed()
    if ran:
        where = "queued" if current_app.config.get("REDIS_URL") else "run"
        click.echo(f"{ran} background jobs {where} (e-mails).")


@users_cli.command("create")
@click.argument("email")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="learner", show_default=True
)
@click.option("--org-unit", default=None, help="An existing org unit: Operations/North.")
@click.option(
    "--invite/--password-prompt",
    default=True,
    show_default=True,
    help="E-mail an invitation link, or type a password now.",
)
def create_user(
    email: str, name: str, tenant_slug: str, role: str, org_unit: str | None, invite: bool
) -> None:
    """Add a person to a tenant, invited by e-mail (or with a password typed now)."""

    tenant = _tenant(tenant_slug)
    unit = people.unit_at(people.unit_tree(tenant.id), org_unit) if org_unit else None
    if org_unit and unit is None:
        raise click.ClickException(f"{tenant.name} has no org unit “{org_unit}”.")
    password = (
        None if invite else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    fields = people.PersonFields.clean(
        email=email, full_name=name, role=role, org_unit_id=unit.id if unit else None
    )
    try:
        if password is not None:
            people.check_password(password)
        person = people.create_person(tenant, None, fields, invite=invite, via="cli")
        if password is not None:
            people.set_password(person, None, password)
    except ValidationFailed as error:
        _fail(error)
    db.session.commit()
    how = "invited by e-mail" if invite else "with the password typed"
    click.echo(f"Added {person.full_name} <{person.email}> to {tenant.name} as {role}, {how}.")
    _hand_on_jobs()


@users_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option("--invite", is_flag=True, help="Invite the new people by e-mail.")
@click.option("--create-units", is_flag=True, help="Create org units the file names.")
@click.option("--dry-run", is_flag=True, help="Only print what the import would do.")
def import_users(file, tenant_slug: str, invite: bool, create_units: bool, dry_run: bool) -> None:
    """Add and update people from a CSV file (format: docs/people-import.md), matched by
    e-mail; lines with errors are listed and skipped."""

    tenant = _tenant(tenant_slug)
    try:
        text = people.decode_upload(file.read(people.MAX_IMPORT_BYTES + 1))
        plan = people.plan_import(tenant, None, text, create_units=create_units, invite=invite)
    except ValidationFailed as error:
        _fail(error)
    for row in plan.rows:
        details = "; ".join(
            [*row.errors, *(f"{n}: {c['before']} -> {c['after']}" for n, c in row.changes.items())]
        )
        click.echo(
            f"line {row.line}: {row.status_label.lower():<9} {row.email}"
            + (f" ({details})" if details else ""),
            err=row.status == "error",
        )
    if dry_run:
        counts = plan.counts
        click.echo(
            f"Dry run, nothing saved: {counts['create']} to add, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['error']} with errors."
        )
        return
    result = people.apply_import(
        tenant, None, text, create_units=create_units, invite=invite, expected_digest=plan.digest
    )
    db.session.commit()
    click.echo(f"Imported into {tenant.name}: {result.summary()}.")
    _hand_on_jobs()


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_user_role(email: str, role: str) -> None:
    """Give the person with this e-mail address another role (a tenant keeps one admin)."""

    person = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == people.normalise_email(email))
    )
    if person is None:
        raise click.ClickException(f"There is no account with the address {email}.")
    try:
        changed = people.set_role(person, None, Role(role), via="cli")
    except ValidationFailed as error:
        _fail(error)
    db.session.commit()
    verb = "is now" if changed else "already was"
    click.echo(f"{person.full_name} <{person.email}> ({person.tenant.name}) {verb} {role}.")
