"""`flask users create`, `flask users import` and `flask users set-role`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, unit_at
from webapp.extensions import db
from webapp.models import AuditEvent, OutboxEmail, Role, User

GOOD = "a perfectly long password"


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme", slug="acme")


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, **kwargs):
        result = runner.invoke(args=["users", *args], **kwargs)
        db.session.expire_all()
        return result

    return invoke


def person(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_invites_by_default(run, tenant):
    unit = unit_at(tenant, "Operations/North")
    result = run(
        "create",
        "Dana@Example.test",
        "Dana Example",
        "--tenant",
        "acme",
        "--role",
        "admin",
        "--org-unit",
        "operations / north",
    )
    assert result.exit_code == 0, result.output
    assert "Added Dana Example <dana@example.test> to Acme as admin, invited by e-mail" in (
        result.output
    )
    dana = person("dana@example.test")
    assert (dana.tenant_id, dana.role, dana.org_unit_id, dana.has_password) == (
        tenant.id,
        Role.ADMIN,
        unit.id,
        False,
    )
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == dana.id))
    assert "/auth/invitation/" in email.body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.actor_id is None and event.data["via"] == "cli"


def test_create_with_a_typed_password(run, tenant):
    result = run(
        "create",
        "lee@example.test",
        "Lee",
        "--tenant",
        "acme",
        "--password-prompt",
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    lee = person("lee@example.test")
    assert lee.check_password(GOOD) and lee.invited_at is None
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_create_refuses_bad_input(run, tenant):
    UserFactory(email="taken@example.test")
    taken = run("create", "taken@example.test", "Dup", "--tenant", "acme")
    assert taken.exit_code == 1 and "already uses this e-mail" in taken.output
    assert run("create", "x@example.test", "X", "--tenant", "nope").exit_code == 1
    unknown_unit = run("create", "x@example.test", "X", "--tenant", "acme", "--org-unit", "Nope")
    assert unknown_unit.exit_code == 1 and "no org unit" in unknown_unit.output
    weak = run(
        "create",
        "x@example.test",
        "X",
        "--tenant",
        "acme",
        "--password-prompt",
        input="short\nshort\n",
    )
    assert weak.exit_code == 1 and "at least" in weak.output
    assert person("x@example.test") is None


def test_import_dry_run_then_import(run, tenant, tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(
        b"\xef\xbb\xbfEmail;Name;Role;Org unit\n"
        b"dana@example.test;Dana;mentor;Operations\n"
        b"broken;Broken;;\n"
    )
    dry = run("import", str(source), "--tenant", "acme", "--dry-run", "--create-units")
    assert dry.exit_code == 0, dry.output
    assert "line 2: new       dana@example.test" in dry.output
    assert "line 3: error" in dry.output and "Dry run, nothing saved: 1 to add" in dry.output
    assert person("dana@example.test") is None
    done = run("import", str(source), "--tenant", "acme", "--create-units", "--invite")
    assert done.exit_code == 0, done.output
    assert "1 added, 0 updated, 0 unchanged, 1 skipped (errors), 1 org units created" in done.output
    assert person("dana@example.test").role is Role.MENTOR
    again = run("import", str(source), "--tenant", "acme", "--create-units")
    assert "0 added, 0 updated, 1 unchanged" in again.output


def test_import_of_an_unreadable_file_exits_non_zero(run, tenant, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("nom\nDana\n")
    result = run("import", str(source), "--tenant", "acme")
    assert result.exit_code == 1 and "email and name are missing" in result.output


def test_set_role_keeps_a_last_admin(run, tenant):
    admin = UserFactory(tenant=tenant, role=Role.ADMIN, email="ada@example.test")
    UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee")
    refused = run("set-role", "ada@example.test", "learner")
    assert refused.exit_code == 1 and "last admin of Acme" in refused.output
    promoted = run("set-role", "LEE@example.test", "admin")
    assert promoted.exit_code == 0 and "Lee <lee@example.test> (Acme) is now admin" in (
        promoted.output
    )
    assert run("set-role", "ada@example.test", "learner").exit_code == 0
    assert admin.role is Role.LEARNER
    assert "already was" in run("set-role", "ada@example.test", "learner").output
    assert run("set-role", "nobody@example.test", "admin").exit_code == 1
