"""`flask platform create-operator` and `flask platform create-tenant`: a fresh install
brought to life from the command line."""

import sqlalchemy as sa

from tests.factories import UserFactory
from webapp.extensions import db
from webapp.models import OutboxEmail, PlatformOperator, Role, Tenant, User
from webapp.services import account_links
from webapp.services.account_links import LinkPurpose

PASSWORD = "a long enough password"


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["platform", *args], input=stdin)


def test_create_operator_reads_the_password_from_stdin(app):
    result = run(
        app,
        "create-operator",
        "ops@installation.example",
        "Olu Operator",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Operator Olu Operator <ops@installation.example> created." in result.output
    operator = db.session.scalar(sa.select(PlatformOperator))
    assert operator.check_password(PASSWORD)


def test_create_operator_prompts_twice_for_the_password(app):
    result = run(
        app, "create-operator", "ops@installation.example", "Olu", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and PASSWORD not in result.output


def test_create_operator_refuses_a_short_password_or_a_used_address(app):
    UserFactory(email="taken@acme.example")
    result = run(
        app, "create-operator", "taken@acme.example", "Olu", "--password-stdin", stdin="x\n"
    )
    assert result.exit_code == 1
    assert "email: Another account already uses this e-mail address." in result.output
    assert "password: Use at least" in result.output
    assert db.session.scalar(sa.select(sa.func.count(PlatformOperator.id))) == 0


def test_create_tenant_invites_its_admin_and_prints_the_link(app):
    result = run(
        app, "create-tenant", "Acme Safety", "dana@acme.example", "--admin-name", "Dana Example"
    )
    assert result.exit_code == 0, result.output
    assert "Tenant Acme Safety (acme-safety) created." in result.output
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "acme-safety"))
    admin = db.session.scalar(sa.select(User).where(User.tenant_id == tenant.id))
    assert (admin.email, admin.full_name, admin.role) == (
        "dana@acme.example",
        "Dana Example",
        Role.ADMIN,
    )
    link = result.output.strip().splitlines()[-1].strip()
    assert link.startswith("http://certifikation.test/")
    assert account_links.read_token(link.rsplit("/", 1)[1], LinkPurpose.INVITE) == admin
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == admin.id))
    assert email is not None  # the e-mail too (kept in the outbox without a mail server)


def test_create_tenant_takes_a_slug_and_refuses_a_taken_one(app):
    assert run(app, "create-tenant", "Staff", "a@ops.example", "--slug", "staff").exit_code == 0
    again = run(app, "create-tenant", "Staff 2", "b@ops.example", "--slug", "staff")
    assert again.exit_code == 1
    assert "slug: Another tenant already uses this slug." in again.output
