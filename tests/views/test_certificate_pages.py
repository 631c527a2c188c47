"""My Certificates (page, polling fragment, download) and the public verification page."""

import re

import pytest

from tests.factories import TenantFactory, UserFactory, issued_certificate
from tests.html import without_tokens
from tests.htmx import htmx
from webapp.extensions import db, limiter
from webapp.models import HolderNameDisplay, Role
from webapp.services import certificates

FRAGMENT = htmx("certificate-list")


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Each test starts with a full verification budget (the counters outlive a test)."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety")


@pytest.fixture
def learner(tenant):
    return UserFactory(tenant=tenant, full_name="Ana Lopez", email="ana@example.test")


def rendered(certificate):
    certificates.store_certificate_pdf(certificate.id)
    db.session.flush()
    return certificate


def test_my_certificates_lists_number_dates_status_and_sharing(client, login, learner):
    certificate = rendered(issued_certificate(user=learner, name="Fire Safety", validity_days=365))
    login(learner)
    page = client.get("/certs/my").get_data(as_text=True)
    assert "Fire Safety" in page and certificate.number in page
    assert "15 Jun 2026" in page and "15 Jun 2027" in page
    assert ">Active<" in page
    assert f'href="/certs/my/{certificate.id}/pdf"' in page and "Download PDF" in page
    url = f"http://certifikation.test/certs/verify/{certificate.public_token}"
    assert f'data-copy="{url}"' in page
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;" in page
    assert 'hx-trigger="every 2s"' not in page  # nothing to wait for


def test_statuses_expiring_soon_expired_and_revoked(client, login, clock, learner):
    soon = issued_certificate(user=learner, name="Soon", validity_days=20)
    lapsing = issued_certificate(user=learner, name="Lapsing", validity_days=40)
    revoked = issued_certificate(user=learner, name="Revoked one")
    admin = UserFactory(tenant_id=learner.tenant_id, role=Role.ADMIN)
    certificates.revoke_certificate(revoked, admin, "Mistake")
    login(learner)
    page = client.get("/certs/my").get_data(as_text=True)
    assert page.count(">Expiring soon<") == 1 and ">Active<" in page and ">Revoked<" in page
    clock.advance(days=41)  # past both expiry dates; the daily job has not run
    page = client.get("/certs/my").get_data(as_text=True)
    assert page.count(">Expired<") == 2 and ">Revoked<" in page
    assert soon.number in page and lapsing.number in page


def test_pending_pdf_polls_as_a_fragment_until_ready(client, login, learner):
    certificate = issued_certificate(user=learner)
    login(learner)
    page = client.get("/certs/my").get_data(as_text=True)
    assert "<h1>My Certificates</h1>" in page and "PDF being prepared" in page
    assert 'hx-trigger="every 2s"' in page and 'hx-target="this"' in page
    fragment = client.get("/certs/my", headers=FRAGMENT).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="certificate-list"')
    assert "<h1>" not in fragment and 'hx-trigger="every 2s"' in fragment
    rendered(certificate)
    fragment = client.get("/certs/my", headers=FRAGMENT).get_data(as_text=True)
    assert "Download PDF" in fragment and "hx-trigger" not in fragment
    # A boosted navigation needs the whole page.
    boosted = client.get("/certs/my", headers=htmx("certificate-list", HX_Boosted="true"))
    assert "<h1>My Certificates</h1>" in boosted.get_data(as_text=True)


def test_failed_pdf_stops_polling_and_says_so(client, login, learner):
    certificate = issued_certificate(user=learner)
    certificates.record_pdf_failure(certificate.id, "RuntimeError: boom")
    login(learner)
    page = client.get("/certs/my").get_data(as_text=True)
    assert "could not be prepared yet" in page and 'hx-trigger="every 2s"' not in page
    assert "boom" not in page  # the error is for admins


def test_download_serves_the_stored_pdf_as_an_attachment(client, login, learner):
    certificate = rendered(issued_certificate(user=learner))
    login(learner)
    with client.get(f"/certs/my/{certificate.id}/pdf") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert (
        response.headers["Content-Disposition"] == f"attachment; filename={certificate.number}.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_download_while_pending_goes_back_to_the_list(client, login, learner):
    certificate = issued_certificate(user=learner)
    login(learner)
    response = client.get(f"/certs/my/{certificate.id}/pdf")
    assert response.status_code == 303 and response.location.endswith("/certs/my")


def test_another_learners_pdf_is_404(client, login, tenant, learner):
    certificate = rendered(issued_certificate(user=learner))
    login(UserFactory(tenant=tenant))
    assert client.get(f"/certs/my/{certificate.id}/pdf").status_code == 404


def test_my_certificates_runs_a_constant_number_of_queries(client, login, learner, count_queries):
    login(learner)

    def queries_for(n):
        for _ in range(n):
            issued_certificate(user=learner)
        with count_queries() as counter:
            assert client.get("/certs/my").status_code == 200
        return counter.count

    assert queries_for(3) == queries_for(27)


# --- Verification ---------------------------------------------------------------------------


def verify_page(client, token, **kwargs):
    return client.get(f"/certs/verify/{token}", **kwargs)


def test_verification_shows_only_the_public_facts(client, tenant, learner):
    certificate = issued_certificate(user=learner, name="Fire Safety", validity_days=365)
    response = verify_page(client, certificate.public_token)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This certificate is valid." in page
    for fact in ("Ana Lopez", "Fire Safety", "version 1.0", "Acme Safety", certificate.number):
        assert fact in page
    assert "2026-06-15" in page and "2027-06-15" in page
    assert "ana@example.test" not in page and f"/{certificate.id}" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_verification_respects_the_initials_setting(client, tenant, learner):
    tenant.holder_name_display = HolderNameDisplay.INITIALS
    certificate = issued_certificate(user=learner)
    page = verify_page(client, certificate.public_token).get_data(as_text=True)
    assert "A.L." in page and "Ana Lopez" not in page


def test_verification_json_by_url_and_by_accept_header(client, learner):
    certificate = issued_certificate(user=learner, name="Fire Safety")
    expected = {
        "programme": "Fire Safety",
        "version": "1.0",
        "holder": "Ana Lopez",
        "issuer": "Acme Safety",
        "number": certificate.number,
        "issued_on": "2026-06-15",
        "expires_on": None,
        "status": "valid",
        "grace_period_until": None,
        "revoked_on": None,
    }
    by_url = client.get(f"/certs/verify/{certificate.public_token}.json")
    by_accept = verify_page(
        client, certificate.public_token, headers={"Accept": "application/json"}
    )
    for response in (by_url, by_accept):
        assert response.status_code == 200 and response.is_json
        assert response.get_json() == expected
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_expired_by_the_clock_and_revoked(client, clock, learner):
    certificate = issued_certificate(user=learner, validity_days=30)
    clock.advance(days=30)
    page = verify_page(client, certificate.public_token).get_data(as_text=True)
    assert "This certificate has expired." in page
    admin = UserFactory(tenant_id=learner.tenant_id, role=Role.ADMIN)
    certificates.revoke_certificate(certificate, admin, "Fraud")
    page = verify_page(client, certificate.public_token).get_data(as_text=True)
    assert "This certificate was revoked on 2026-07-15." in page
    assert "Fraud" not in page  # the reason stays internal
    data = client.get(f"/certs/verify/{certificate.public_token}.json").get_json()
    assert data["status"] == "revoked" and data["revoked_on"] == "2026-07-15"


def test_unknown_and_malformed_tokens_answer_the_same_404(client, learner):
    issued_certificate(user=learner)
    unknown = verify_page(client, "A" * 32)
    for malformed in ("short", "x" * 200, "%27%20OR%201%3D1", "a.b"):
        response = verify_page(client, malformed)
        assert response.status_code == 404
        assert without_tokens(response) == without_tokens(unknown)
        assert response.headers["Cache-Control"] == "no-store"
    assert unknown.status_code == 404
    unknown_json = client.get("/certs/verify/" + "A" * 32 + ".json")
    malformed_json = client.get("/certs/verify/short.json")
    assert unknown_json.status_code == malformed_json.status_code == 404
    assert unknown_json.get_data() == malformed_json.get_data()


def test_verification_is_rate_limited_per_client_address(client, app, learner):
    app.config["VERIFY_RATE_LIMIT_PER_MINUTE"] = 3
    certificate = issued_certificate(user=learner)
    token = certificate.public_token
    assert verify_page(client, token).status_code == 200
    assert verify_page(client, "B" * 32).status_code == 404  # misses count too
    assert client.get(f"/certs/verify/{token}.json").status_code == 200  # one shared budget
    limited = verify_page(client, token)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Too many requests" in limited.get_data(as_text=True)
    assert limited.headers["Cache-Control"] == "no-store"
    limited_json = client.get(f"/certs/verify/{token}.json")
    assert limited_json.status_code == 429 and limited_json.get_json()["status"] == 429
    # Another address has its own budget.
    other = verify_page(client, token, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_verification_needs_no_login_and_the_link_is_absolute(client, learner):
    certificate = issued_certificate(user=learner)
    url = certificates.verification_url(certificate)
    assert re.fullmatch(r"http://certifikation\.test/certs/verify/[A-Za-z0-9_-]{32}", url)
    assert verify_page(client, certificate.public_token).status_code == 200
