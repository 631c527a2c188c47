"""Admin pages that export a programme to a JSON file and import one."""

import io
import json
import re

import sqlalchemy as sa

from tests.factories import PathFactory, TenantFactory, UserFactory, published_path
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import CertificationPath, PathStatus, Role
from webapp.services import programme_files as files

IMPORT_URL = "/certs/admin/programs/import"


def admin_of(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def upload(document, name="programme.json") -> tuple[io.BytesIO, str]:
    text = document if isinstance(document, str) else json.dumps(document)
    return (io.BytesIO(text.encode()), name)


def programme_count(tenant) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CertificationPath)
        .where(CertificationPath.tenant_id == tenant.id)
    )


def test_export_downloads_the_programme_as_a_json_attachment(client, login):
    tenant = TenantFactory()
    programme = published_path(tenant, slug="forklift-basics")
    login(admin_of(tenant))
    response = client.get(f"/certs/admin/programs/{programme.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == "attachment; filename=forklift-basics.json"
    assert json.loads(response.get_data()) == files.export_programme(programme)


def test_import_page_shows_the_form(client, login):
    login(admin_of(TenantFactory()))
    html = client.get(IMPORT_URL).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="file"' in html and 'name="slug"' in html


def test_import_creates_a_draft_and_redirects_to_it(client, login):
    source, target = TenantFactory(), TenantFactory()
    document = files.export_programme(published_path(source, slug="forklift-basics"))
    login(admin_of(target))
    response = client.post(IMPORT_URL, data={"file": upload(document), "slug": ""})
    assert response.status_code == 303
    programme = db.session.scalar(
        sa.select(CertificationPath).where(CertificationPath.tenant_id == target.id)
    )
    assert programme.slug == "forklift-basics"
    assert programme.status is PathStatus.DRAFT
    assert f"/certs/admin/programs/{programme.id}" in response.headers["Location"]
    page = client.get("/certs/admin/").get_data(as_text=True)  # shows the flash message
    assert "as a draft programme" in page


def test_import_under_a_new_slug_and_name(client, login):
    tenant = TenantFactory()
    document = files.export_programme(published_path(tenant, slug="forklift-basics"))
    login(admin_of(tenant))
    response = client.post(IMPORT_URL, data={"file": upload(document), "slug": " forklift-2 "})
    assert response.status_code == 422
    assert "Another programme already has this name." in response.get_data(as_text=True)
    assert programme_count(tenant) == 1
    response = client.post(
        IMPORT_URL,
        data={"file": upload(document), "slug": " forklift-2 ", "name": " Forklift II "},
    )
    assert response.status_code == 303
    assert programme_count(tenant) == 2


def test_import_with_problems_lists_each_with_its_path_and_saves_nothing(client, login):
    tenant = TenantFactory()
    document = files.export_programme(published_path(tenant, slug="forklift-basics"))
    document["requirements"][0]["title"] = ""
    document["programme"]["level"] = "expert"
    login(admin_of(tenant))
    response = client.post(IMPORT_URL, data={"file": upload(document), "name": "Forklift copy"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The programme file has 3 problems; nothing was imported." in html
    for programme in ("$.programme.slug", "$.programme.level", "$.requirements[0].title"):
        assert f"<code>{programme}</code>" in html
    assert programme_count(tenant) == 1


def test_import_of_a_file_that_is_not_json(client, login):
    tenant = TenantFactory()
    login(admin_of(tenant))
    response = client.post(IMPORT_URL, data={"file": upload("<html>", name="page.html")})
    assert response.status_code == 422
    assert "The file is not valid JSON (line 1, column 1)." in response.get_data(as_text=True)
    assert programme_count(tenant) == 0


def test_import_without_a_file_shows_the_field_error(client, login):
    login(admin_of(TenantFactory()))
    response = client.post(IMPORT_URL, data={"slug": "x"})
    assert response.status_code == 422
    assert "Choose a programme file to import." in response.get_data(as_text=True)


def test_import_rejects_a_malformed_new_slug_next_to_the_field(client, login):
    tenant = TenantFactory()
    document = files.export_programme(published_path(tenant))
    login(admin_of(tenant))
    response = client.post(IMPORT_URL, data={"file": upload(document), "slug": "Not A Slug"})
    assert response.status_code == 422
    assert 'id="slug-error"' in response.get_data(as_text=True)


def test_htmx_import_answers_with_the_fragment_or_a_location(client, login):
    tenant = TenantFactory()
    document = files.export_programme(published_path(tenant, slug="forklift-basics"))
    login(admin_of(tenant))
    headers = htmx("programme-import")
    failed = client.post(IMPORT_URL, data={"file": upload(document)}, headers=headers)
    assert failed.status_code == 422
    html = failed.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="programme-import"')
    assert "<code>$.programme.slug</code>" in html
    done = client.post(
        IMPORT_URL,
        data={"file": upload(document), "slug": "copy", "name": "Copy"},
        headers=headers,
    )
    assert done.status_code == 204
    assert re.search(r"/certs/admin/programs/\d+$", done.headers["HX-Location"])


def test_non_admins_cannot_export_or_import(client, login):
    tenant = TenantFactory()
    programme = PathFactory(tenant=tenant)
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get(f"/certs/admin/programs/{programme.id}/export").status_code == 403
    assert client.get(IMPORT_URL).status_code == 403
    document = files.export_programme(programme)
    response = client.post(IMPORT_URL, data={"file": upload(document), "slug": "copy"})
    assert response.status_code == 403
    assert programme_count(tenant) == 1


def test_an_admin_of_another_tenant_gets_404_exporting(client, login):
    acme, globex = TenantFactory(name="Acme"), TenantFactory(name="Globex")
    programme = published_path(acme)
    login(admin_of(globex))
    assert client.get(f"/certs/admin/programs/{programme.id}/export").status_code == 404
    assert client.get("/certs/admin/programs/999999/export").status_code == 404


def test_import_needs_the_csrf_token(client, login, csrf_on):
    tenant = TenantFactory()
    document = files.export_programme(published_path(tenant))
    user = admin_of(tenant)
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/auth/login",
        data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    data = {"file": upload(document), "slug": "copy", "name": "Copy"}
    assert client.post(IMPORT_URL, data=data).status_code == 400
    form = client.get(IMPORT_URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    data = {"file": upload(document), "slug": "copy", "name": "Copy", "csrf_token": token}
    assert client.post(IMPORT_URL, data=data).status_code == 303


def test_programme_pages_link_to_export_and_import(client, login):
    tenant = TenantFactory()
    programme = published_path(tenant)
    login(admin_of(tenant))
    page = client.get(f"/certs/admin/programs/{programme.id}").get_data(as_text=True)
    assert f'href="/certs/admin/programs/{programme.id}/export"' in page
    listing = client.get("/certs/admin/programs/").get_data(as_text=True)
    assert f'href="{IMPORT_URL}"' in listing
