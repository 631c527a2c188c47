"""`flask programs export` and `flask programs import`."""

import json

import sqlalchemy as sa

from tests.factories import TenantFactory, published_path
from webapp.extensions import db
from webapp.models import AuditEvent, CertificationPath, PathStatus
from webapp.services import programme_files as files


def programmes_of(tenant) -> list[CertificationPath]:
    return list(
        db.session.scalars(
            sa.select(CertificationPath).where(CertificationPath.tenant_id == tenant.id)
        )
    )


def test_export_writes_the_document_to_stdout(app):
    tenant = TenantFactory(slug="acme")
    path = published_path(tenant, slug="forklift-basics")
    result = app.test_cli_runner().invoke(args=["programs", "export", "acme", "forklift-basics"])
    assert result.exit_code == 0, result.output
    assert result.output == files.dumps(files.export_programme(path))


def test_export_to_a_file_then_import_into_another_tenant(app, tmp_path):
    acme, globex = TenantFactory(slug="acme"), TenantFactory(slug="globex")
    path = published_path(acme, slug="forklift-basics")
    target = tmp_path / "forklift.json"
    runner = app.test_cli_runner()
    exported = runner.invoke(
        args=["programs", "export", "acme", "forklift-basics", "-o", str(target)]
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(target.read_text()) == files.export_programme(path)

    result = runner.invoke(args=["programs", "import", "globex", str(target), "--slug", "fork"])
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output
    db.session.expire_all()
    [imported] = programmes_of(globex)
    assert (imported.slug, imported.status) == ("fork", PathStatus.DRAFT)
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.object_id == imported.id, AuditEvent.action == "programme.imported"
        )
    )


def test_import_prints_every_problem_and_exits_non_zero(app, tmp_path):
    acme = TenantFactory(slug="acme")
    document = files.export_programme(published_path(acme, slug="forklift-basics"))
    document["requirements"][1]["kind"] = "webinar"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(document))
    result = app.test_cli_runner().invoke(args=["programs", "import", "acme", str(source)])
    assert result.exit_code == 1
    assert "$.programme.slug: Another programme already uses this slug." in result.output
    assert "$.requirements[1].kind: Choose quiz, evidence or content." in result.output
    assert len(programmes_of(acme)) == 1


def test_unknown_tenant_or_programme_is_an_error(app):
    TenantFactory(slug="acme")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["programs", "export", "nobody", "x"]).exit_code == 1
    result = runner.invoke(args=["programs", "export", "acme", "missing"])
    assert result.exit_code == 1
    assert "no programme “missing”" in result.output


def test_schema_prints_the_published_schema(app):
    result = app.test_cli_runner().invoke(args=["programs", "schema"])
    assert result.exit_code == 0, result.output
    assert result.output == files.schema_text()
    assert json.loads(result.output)["title"] == "CertifiKation programme file"
