"""Organisation settings: each tenant may set its own certificate number prefix."""

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate
from webapp.extensions import db
from webapp.models import AuditEvent, HolderNameDisplay, Role


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def test_an_admin_sets_the_prefix_and_new_numbers_use_it(client, login, tenant, admin):
    before = issued_certificate(tenant)
    login(admin)
    page = client.get("/certs/admin/settings").get_data(as_text=True)
    assert "e.g. CERT-2026-00001" in page
    response = client.post(
        "/certs/admin/settings",
        data={"certificate_prefix": " acme ", "holder_name_display": "initials"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert tenant.certificate_prefix == "ACME"
    assert tenant.holder_name_display is HolderNameDisplay.INITIALS
    assert issued_certificate(tenant).number == "ACME-2026-00002"  # the tenant's own sequence
    assert before.number == "CERT-2026-00001"  # issued numbers stay
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "tenant.settings_updated")
    )
    assert event.tenant_id == tenant.id and event.data["certificate_prefix"] == "ACME"


@pytest.mark.parametrize("prefix", ["AC-ME", "ÄCME", "X" * 17, "<b>"])
def test_a_bad_prefix_is_refused_with_the_input_kept(client, login, tenant, admin, prefix):
    login(admin)
    response = client.post(
        "/certs/admin/settings",
        data={"certificate_prefix": prefix, "holder_name_display": "full"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "<b>" not in html.split('id="certificate_prefix"')[1][:200]  # escaped when kept
    db.session.expire_all()
    assert tenant.certificate_prefix is None


def test_an_empty_prefix_falls_back_to_the_installation_default(client, login, tenant, admin):
    tenant.certificate_prefix = "ACME"
    db.session.flush()
    login(admin)
    client.post(
        "/certs/admin/settings", data={"certificate_prefix": "", "holder_name_display": "full"}
    )
    db.session.expire_all()
    assert tenant.certificate_prefix is None
    assert issued_certificate(tenant).number == "CERT-2026-00001"


def test_settings_are_for_admins_only(client, login, tenant):
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.get("/certs/admin/settings").status_code == 403
    assert client.post("/certs/admin/settings", data={"certificate_prefix": "X"}).status_code == 403
