"""Absolute links (verification, QR code, LinkedIn, renewals, portfolio) point at the server
actually serving in development, at PUBLIC_BASE_URL when it is set, and stored PDFs drawn for
another address can be rendered again in bulk."""

import io

import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp

from tests.conftest import TEST_PASSWORD
from tests.factories import TenantFactory, UserFactory, issued_certificate, published_path
from webapp import outbox, urls
from webapp.extensions import db
from webapp.models import AuditEvent, Certificate, JobRecord, PdfStatus, Role
from webapp.services import certificates, skills_portfolio
from webapp.services import certification_path_management as paths

SERVING = "http://127.0.0.1:5101"


@pytest.fixture
def development_links(app):
    """As `make run PORT=5101` without PUBLIC_BASE_URL: links follow the serving host."""
    app.config.update(PUBLIC_BASE_URL="", DEV_SERVER_URL="http://127.0.0.1:5000", REDIS_URL=None)
    return app


def login_at(client, user) -> None:
    """Log in on the serving host (the session cookie belongs to it)."""
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": TEST_PASSWORD},
        base_url=SERVING,
    )
    assert response.status_code == 303


def qr_of(programme) -> list[str]:
    document = pypdfium2.PdfDocument(io.BytesIO(programme.read_bytes()))
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_without_a_configured_base_links_follow_the_request(development_links, client):
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant)
    certificate = issued_certificate(tenant, learner, name="Fire Safety")
    portfolio = skills_portfolio.ensure_portfolio(learner)
    portfolio.public_slug, portfolio.is_published = "ana-lopez", True
    db.session.flush()
    login_at(client, learner)
    html = client.get("/certs/my", base_url=SERVING).get_data(as_text=True)
    verify = f"{SERVING}/certs/verify/{certificate.public_token}"
    assert f'data-copy="{verify}"' in html
    assert "certUrl=http%3A%2F%2F127.0.0.1%3A5101%2Fcerts%2Fverify%2F" in html  # LinkedIn
    assert "127.0.0.1:5000" not in html
    page = client.get("/certs/portfolio/", base_url=SERVING).get_data(as_text=True)
    assert f'value="{SERVING}/p/ana-lopez"' in page


def test_the_pdf_rendered_after_a_request_carries_the_serving_address(development_links, client):
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant)
    programme = published_path(tenant, requirements=1)
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    login_at(client, learner)
    # Completing the last requirement issues the certificate; its PDF job runs in-process
    # after the commit of that very request.
    client.post(
        f"/certs/programs/{programme.slug}/requirements/{requirement_id}/complete", base_url=SERVING
    )
    certificate = certificates.certificate_of(enrolment.id)
    assert certificate.pdf_status is PdfStatus.READY
    assert certificate.pdf_base_url == SERVING
    assert qr_of(certificates.stored_pdf(certificate)) == [
        f"{SERVING}/certs/verify/{certificate.public_token}"
    ]


def test_outside_a_request_the_dev_server_address_is_used(development_links):
    development_links.config["DEV_SERVER_URL"] = "http://127.0.0.1:5101"
    assert urls.public_url("certificates.verify", token="abc") == (
        "http://127.0.0.1:5101/certs/verify/abc"
    )
    development_links.config["PUBLIC_BASE_URL"] = "https://certs.example.org"
    assert urls.public_base_url() == "https://certs.example.org"
    with development_links.test_request_context(base_url=SERVING):
        assert urls.public_base_url() == "https://certs.example.org"  # configured wins


def test_stale_pdfs_are_counted_and_rendered_again_in_bulk(app, client, login):
    app.config["REDIS_URL"] = None
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    issued = [issued_certificate(tenant) for _ in range(3)]
    other_tenant = issued_certificate()
    for certificate in [*issued, other_tenant]:
        certificates.store_certificate_pdf(certificate.id)
    db.session.flush()
    assert certificates.stale_pdf_count(tenant.id) == 0
    app.config["PUBLIC_BASE_URL"] = "https://certs.example.org"
    assert certificates.stale_pdf_count(tenant.id) == 3
    login(admin)
    page = client.get("/certs/admin/certificates/").get_data(as_text=True)
    assert "3 stored PDFs link to another address" in page
    assert "<code>https://certs.example.org</code>" in page
    response = client.post("/certs/admin/certificates/rerender-stale")
    assert response.status_code == 303
    db.session.expire_all()
    for certificate in issued:
        assert certificate.pdf_status is PdfStatus.READY
        assert certificate.pdf_base_url == "https://certs.example.org"
        assert qr_of(certificates.stored_pdf(certificate)) == [
            f"https://certs.example.org/certs/verify/{certificate.public_token}"
        ]
    assert db.session.get(Certificate, other_tenant.id).pdf_base_url == "http://certifikation.test"
    assert certificates.stale_pdf_count(tenant.id) == 0
    assert "link to another address" not in client.get("/certs/admin/certificates/").get_data(
        as_text=True
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.pdf_rerender_bulk")
    )
    assert event.tenant_id == tenant.id and "3 PDFs" in event.summary


def test_the_bulk_job_works_in_batches_and_resumes(app, monkeypatch):
    from webapp.jobs import certificates as certificate_jobs

    app.config["REDIS_URL"] = None
    monkeypatch.setattr(certificate_jobs, "BATCH", 2)
    tenant = TenantFactory()
    admin = UserFactory(tenant=tenant, role=Role.ADMIN)
    issued = [issued_certificate(tenant) for _ in range(5)]
    db.session.commit()
    outbox.dispatch_committed()  # the issuance jobs render every PDF once
    app.config["PUBLIC_BASE_URL"] = "https://certs.example.org"
    assert certificates.request_stale_pdf_renders(tenant.id, admin) == 5
    db.session.commit()
    outbox.dispatch_committed()  # runs the first batch, which defers the next, and so on
    db.session.expire_all()
    assert {c.pdf_status for c in issued} == {PdfStatus.READY}
    runs = db.session.scalar(
        sa.select(sa.func.count(JobRecord.id)).where(
            JobRecord.name == "render_pending_certificate_pdfs"
        )
    )
    assert runs == 3  # 2 + 2 + 1


def test_only_admins_may_render_in_bulk(app, client, login):
    tenant = TenantFactory()
    login(UserFactory(tenant=tenant, role=Role.MENTOR))
    assert client.post("/certs/admin/certificates/rerender-stale").status_code == 403
