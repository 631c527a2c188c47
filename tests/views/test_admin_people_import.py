"""The people import pages: upload, a preview that writes nothing, the confirmation."""

from __future__ import annotations

import codecs
import html
import io
import re

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory
from webapp.extensions import db
from webapp.models import AuditEvent, JobRecord, OrgUnit, OutboxEmail, Role, User

FILE = (
    "email,name,role,org unit,external id\n"
    "dana@example.test,Dana Example,mentor,Operations/North,E1\n"
    "lee@example.test,Lee Example,,Operations,\n"
    "not-an-address,Nobody,,,\n"
)


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


@pytest.fixture
def as_admin(client, login, admin):
    return login(admin)


def upload(client, content: bytes | str, **options):
    raw = content.encode() if isinstance(content, str) else content
    data = {"file": (io.BytesIO(raw), "people.csv"), **{k: "y" for k, v in options.items() if v}}
    return client.post("/certs/admin/people/import", data=data, content_type="multipart/form-data")


def hidden(page, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page.get_data(as_text=True))
    return html.unescape(match.group(1))


def confirm(client, preview, **changes):
    data = {"text": hidden(preview, "text"), "seal": hidden(preview, "seal"), **changes}
    return client.post(
        "/certs/admin/people/import/confirm", data=data, content_type="multipart/form-data"
    )


def written() -> list[int]:
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, AuditEvent, OrgUnit, OutboxEmail, JobRecord)
    ]


def test_the_upload_page_explains_the_format(as_admin):
    page = as_admin.get("/certs/admin/people/import")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in text and "Operations/North" in text
    assert "Create missing org units" in text and "Invite the new people" in text


def test_the_preview_lists_every_line_and_writes_nothing(as_admin):
    before = written()
    preview = upload(as_admin, FILE, create_units=True, invite=True)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert written() == before
    for text in (
        '<th scope="row">2</th>',
        '<th scope="row">4</th>',
        "Operations/North",
        "E-mail: This is not an e-mail address",
        "2 new people</li>" if "2 new people</li>" in page else "2 new people, each invited",
        "1 line with errors, skipped",
        "2 new org units: Operations, Operations/North",
        "Import 2 people",
        "Nothing has been saved yet.",
    ):
        assert text in page, text
    assert hidden(preview, "text") == FILE


def test_confirming_imports_and_a_second_import_changes_nothing(as_admin, tenant):
    preview = upload(as_admin, FILE, create_units=True, invite=True)
    response = confirm(as_admin, preview)
    assert response.status_code == 303 and response.headers["Location"].endswith("/people/")
    dana = db.session.scalar(sa.select(User).where(User.email == "dana@example.test"))
    assert (dana.tenant_id, dana.role, dana.external_id) == (tenant.id, Role.MENTOR, "E1")
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 2
    listing = as_admin.get("/certs/admin/people/").get_data(as_text=True)
    assert "Import done: 2 added, 0 updated, 0 unchanged, 1 skipped (errors)" in listing
    before = written()
    again = upload(as_admin, FILE, create_units=True, invite=True)
    page = again.get_data(as_text=True)
    assert page.count("Unchanged</span>") == 2 and "There is nothing to import" in page
    assert 'action="/certs/admin/people/import/confirm"' not in page
    assert written() == before


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF8 + "E-Mail;Name;Role\r\ndana@example.test;Dana Ëxample;learner\r\n".encode(),
        b"Email ,  Full name\ndana@example.test,Dana \xc3\x8bxample\n",
    ],
    ids=["bom-semicolon-crlf", "comma-spaced-header"],
)
def test_spreadsheet_files_import(as_admin, raw):
    preview = upload(as_admin, raw)
    assert preview.status_code == 200
    assert confirm(as_admin, preview).status_code == 303
    dana = db.session.scalar(sa.select(User).where(User.email == "dana@example.test"))
    assert dana.full_name == "Dana Ëxample"


def test_an_unreadable_file_is_refused_on_the_upload_page(as_admin):
    response = upload(as_admin, "name,role\nDana,learner\n")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "email is missing" in text and 'type="file"' in text
    assert upload(as_admin, "email,name\n\xe9".encode("latin-1")).status_code == 422
    missing = as_admin.post("/certs/admin/people/import", data={})
    assert missing.status_code == 422 and "Choose a CSV file" in missing.get_data(as_text=True)


def test_a_changed_text_is_not_imported(as_admin):
    preview = upload(as_admin, FILE, create_units=True)
    before = written()
    tampered = FILE + "eve@example.test,Eve,admin,,\n"
    response = confirm(as_admin, preview, text=tampered)
    assert response.status_code == 400
    assert "Upload the file again" in response.get_data(as_text=True)
    assert written() == before


def test_a_preview_of_another_admin_is_not_imported(as_admin, client, login, tenant):
    preview = upload(as_admin, FILE, create_units=True)
    client.post("/auth/logout")
    login(UserFactory(tenant=tenant, role=Role.ADMIN))
    assert confirm(client, preview).status_code == 400
    assert db.session.scalar(sa.select(User).where(User.email == "dana@example.test")) is None


def test_a_plan_that_changed_since_the_preview_is_shown_again(as_admin, tenant):
    preview = upload(as_admin, FILE, create_units=True)
    UserFactory(tenant=tenant, email="lee@example.test", full_name="Lee Example")
    before = written()
    response = confirm(as_admin, preview)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Something changed since the preview" in page and "Import 2 people" in page
    assert written() == before
    assert confirm(as_admin, response).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before[0] + 1
