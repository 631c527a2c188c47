"""Admin certificate pages: list with filters, pagination and CSV export, detail with the PDF
state, revocation with a required reason, re-render."""

import csv
import io

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate
from webapp.extensions import db, limiter
from webapp.models import AuditEvent, Certificate, CertificateStatus, Notification, PdfStatus, Role
from webapp.services import certificates


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


def test_list_filters_by_programme_status_and_expiry(client, login, clock, tenant, admin):
    fire = issued_certificate(tenant, name="Fire Safety", validity_days=10)
    ladders = issued_certificate(tenant, name="Ladders", validity_days=400)
    forever = issued_certificate(tenant, name="Forever")
    revoked = issued_certificate(tenant, name="Revoked one")
    certificates.revoke_certificate(revoked, admin, "Mistake")
    issued_certificate(TenantFactory(), name="Foreign programme")
    login(admin)

    def numbers(query=""):
        page = client.get(f"/certs/admin/certificates/{query}").get_data(as_text=True)
        return {c.number for c in (fire, ladders, forever, revoked) if c.number in page}, page

    shown, page = numbers()
    assert shown == {fire.number, ladders.number, forever.number, revoked.number}
    assert "field-error" not in page  # no filter given is not an error
    assert "Foreign programme" not in page
    assert numbers(f"?programme_id={fire.path_id}")[0] == {fire.number}
    assert numbers("?status=revoked")[0] == {revoked.number}
    assert numbers("?expiring_within=30")[0] == {fire.number}
    clock.advance(days=11)  # Fire Safety expired by the clock, before the daily job
    assert numbers("?status=expired")[0] == {fire.number}
    assert numbers("?status=active")[0] == {ladders.number, forever.number}


def test_invalid_filters_are_shown_next_to_their_fields(client, login, admin):
    login(admin)
    page = client.get("/certs/admin/certificates/?expiring_within=0&status=bogus")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="expiring_within-error"' in html and 'id="status-error"' in html


def test_list_is_paginated_with_a_constant_number_of_queries(
    client, login, app, tenant, admin, count_queries
):
    app.config["PAGE_SIZE"] = 50
    login(admin)

    def queries_for(n):
        for _ in range(n):
            issued_certificate(tenant)
        with count_queries() as counter:
            assert client.get("/certs/admin/certificates/").status_code == 200
        return counter.count

    assert queries_for(3) == queries_for(27)
    app.config["PAGE_SIZE"] = 20
    page = client.get("/certs/admin/certificates/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page and 'rel="prev"' in page


def test_csv_export_is_filtered_and_formula_safe(client, login, tenant, admin):
    evil = UserFactory(tenant=tenant, full_name='=HYPERLINK("http://evil","x")')
    issued_certificate(tenant, evil, name="+Programme")
    issued_certificate(tenant, name="Other")
    login(admin)
    response = client.get("/certs/admin/certificates/export.csv?status=active")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=certificates.csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    row = next(r for r in rows if r["programme"] == "'+Programme")
    assert row["holder"] == '\'=HYPERLINK("http://evil","x")'
    assert row["status"] == "active" and row["issued"] == "2026-06-15"
    only_other = client.get("/certs/admin/certificates/export.csv?status=revoked")
    assert len(list(csv.DictReader(io.StringIO(only_other.get_data(as_text=True))))) == 0


def test_detail_shows_the_pdf_error(client, login, tenant, admin):
    certificate = issued_certificate(tenant, name="Fire Safety")
    certificates.record_pdf_failure(certificate.id, "RuntimeError: the disk is full")
    login(admin)
    page = client.get(f"/certs/admin/certificates/{certificate.id}").get_data(as_text=True)
    assert certificate.number in page and "Fire Safety" in page
    assert "RuntimeError: the disk is full" in page and "Re-render PDF" in page
    assert "certificate.issued" in page  # history from the audit log


def test_rerender_renders_the_pdf_again(client, login, app, tenant, admin):
    app.config["REDIS_URL"] = None
    certificate = issued_certificate(tenant)
    certificates.record_pdf_failure(certificate.id, "RuntimeError: boom")
    login(admin)
    response = client.post(f"/certs/admin/certificates/{certificate.id}/rerender")
    assert response.status_code == 303
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY and certificate.pdf_error is None
    with client.get(f"/certs/admin/certificates/{certificate.id}/pdf") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF")
        assert download.headers["Content-Disposition"].startswith("attachment;")


def test_revocation_needs_a_reason_and_shows_at_once(client, login, tenant, admin):
    limiter.reset()
    certificate = issued_certificate(tenant)
    login(admin)
    form = client.get(f"/certs/admin/certificates/{certificate.id}/revoke").get_data(as_text=True)
    assert "data-confirm=" in form and "Reason for the revocation" in form
    refused = client.post(f"/certs/admin/certificates/{certificate.id}/revoke", data={"reason": ""})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert certificate.status is CertificateStatus.ACTIVE
    response = client.post(
        f"/certs/admin/certificates/{certificate.id}/revoke", data={"reason": "Cheated on the quiz"}
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/certs/admin/certificates/{certificate.id}")
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert certificate.status is CertificateStatus.REVOKED
    assert certificate.revoked_reason == "Cheated on the quiz"
    assert certificate.revoked_by_id == admin.id
    assert db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == certificate.user_id, Notification.kind == "certificate_revoked"
        )
    )
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "certificate.revoked", AuditEvent.object_id == certificate.id
        )
    )
    anonymous = client.application.test_client()
    page = anonymous.get(f"/certs/verify/{certificate.public_token}").get_data(as_text=True)
    assert "This certificate was revoked on 2026-06-15." in page
    again = client.post(
        f"/certs/admin/certificates/{certificate.id}/revoke", data={"reason": "Twice"}
    )
    assert again.status_code == 422 and "already revoked" in again.get_data(as_text=True)


def test_revocation_and_rerender_are_refused_without_csrf(client, login, app, tenant, admin):
    certificate = issued_certificate(tenant)
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    base = f"/certs/admin/certificates/{certificate.id}"
    assert client.post(f"{base}/revoke", data={"reason": "No token"}).status_code == 400
    assert client.post(f"{base}/rerender").status_code == 400
    db.session.expire_all()
    assert certificate.status is CertificateStatus.ACTIVE
