"""Grace periods in the pages: granted on the admin certificate page (limits shown and
enforced, input kept on refusal, CSRF), shown on the verification page and its JSON form,
My Certificates and the dashboard, and honoured by the daily job."""

import re

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate
from tests.htmx import htmx
from webapp.extensions import db
from webapp.models import Certificate, CertificateExtension, CertificateStatus, Role
from webapp.services import recertification


@pytest.fixture
def tenant(app):
    return TenantFactory(name="Acme Safety", grace_period_max_days=30)


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def certificate(tenant):
    """Expires on 15 July 2026 at 10:00 (30 days after the frozen clock), inside its
    30-day renewal window from today."""
    holder = UserFactory(tenant=tenant, full_name="Lea Learner")
    return issued_certificate(tenant, holder, name="Fire Safety", validity_days=30)


def page_url(certificate, suffix=""):
    return f"/certs/admin/certificates/{certificate.id}{suffix}"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def extensions():
    return db.session.scalar(sa.select(sa.func.count(CertificateExtension.id)))


def test_the_certificate_page_offers_a_grace_period_within_the_limits(
    client, login, admin, certificate
):
    login(admin)
    page = text(client.get(page_url(certificate)))
    assert 'id="grace-heading">Grace period' in page
    assert 'min="2026-07-16"' in page and 'max="2026-08-14"' in page
    assert "From 16 Jul 2026 to 14 Aug 2026." in page and "up to 30 days" in page


def test_a_grace_period_is_granted_and_shown_everywhere(client, login, admin, certificate, clock):
    login(admin)
    response = client.post(
        page_url(certificate, "/grace-period"),
        data={"until": "2026-08-01", "reason": "The renewal course is full until August."},
    )
    assert response.status_code == 303 and response.location.endswith(page_url(certificate))
    page = text(client.get(page_url(certificate)))
    assert "01 Aug 2026, 10:00 UTC" in page and "The renewal course is full until August." in page
    assert "Ada Admin" in page and "certificate.extended" in page
    clock.advance(days=31)  # past its own expiry
    db.session.expire_all()
    assert recertification.run_expiry(clock.now()).certificates_expired == 0
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.ACTIVE
    anonymous = client.application.test_client()
    verify = text(anonymous.get(f"/certs/verify/{certificate.public_token}"))
    assert "This certificate is valid (grace period until 2026-08-01)." in verify
    assert "2026-07-15" in verify  # its own expiry date, unchanged
    data = anonymous.get(f"/certs/verify/{certificate.public_token}.json").get_json()
    assert (data["status"], data["expires_on"], data["grace_period_until"]) == (
        "valid",
        "2026-07-15",
        "2026-08-01",
    )
    assert "The renewal course" not in verify and "Ada Admin" not in verify
    client.post("/auth/logout")
    login(certificate.user)
    mine = text(client.get("/certs/my"))
    assert "Grace period</dt><dd>Valid until 01 Aug 2026" in mine
    dashboard = text(client.get("/certs"))
    assert "is in a grace period until 01 Aug 2026" in dashboard
    clock.advance(days=16)  # 1 August, 10:00: the grace period has ended
    verify = text(anonymous.get(f"/certs/verify/{certificate.public_token}"))
    assert "This certificate has expired." in verify


@pytest.mark.parametrize(
    ("until", "message"),
    [("2026-08-15", "Choose a date from 16 Jul 2026 to 14 Aug 2026"), ("", "Give the date")],
)
def test_a_date_outside_the_limits_is_refused_with_the_input_kept(
    client, login, admin, certificate, until, message
):
    login(admin)
    refused = client.post(
        page_url(certificate, "/grace-period"), data={"until": until, "reason": "Keep this text"}
    )
    page = text(refused)
    assert refused.status_code == 422 and message in page
    assert 'id="until-error"' in page and "Keep this text</textarea>" in page
    assert extensions() == 0


def test_the_reason_is_required(client, login, admin, certificate):
    login(admin)
    refused = client.post(
        page_url(certificate, "/grace-period"), data={"until": "2026-08-01", "reason": " "}
    )
    assert refused.status_code == 422 and 'id="reason-error"' in text(refused)
    assert 'value="2026-08-01"' in text(refused)
    assert extensions() == 0


def test_no_grace_period_outside_the_window(client, login, tenant, admin, clock):
    far = issued_certificate(tenant, validity_days=365)
    login(admin)
    page = text(client.get(page_url(far)))
    assert "once the certificate is inside its renewal window, from 16 May 2027" in page
    assert 'name="until"' not in page
    refused = client.post(
        page_url(far, "/grace-period"), data={"until": "2027-06-20", "reason": "Early."}
    )
    assert refused.status_code == 422 and "renewal window" in text(refused)
    clock.advance(days=365 + 30)  # expired 30 days ago: the limit has passed
    assert "it is too late for a grace period" in text(client.get(page_url(far)))
    assert extensions() == 0


def test_a_just_expired_certificate_is_valid_again(client, login, admin, certificate, clock):
    clock.advance(days=31)
    recertification.run_expiry(clock.now())
    db.session.flush()
    login(admin)
    response = client.post(
        page_url(certificate, "/grace-period"),
        data={"until": "2026-08-10", "reason": "Exam rescheduled."},
        headers=htmx(),
    )
    assert response.status_code == 204 and response.headers["HX-Location"] == page_url(certificate)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.ACTIVE
    page = text(client.get(page_url(certificate)))
    assert "Active</span> grace period until 10 Aug 2026" in page
    verify = client.application.test_client().get(f"/certs/verify/{certificate.public_token}")
    assert "valid (grace period until 2026-08-10)" in text(verify)


def test_a_grace_period_needs_a_csrf_token(client, login, app, admin, certificate):
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        page_url(certificate, "/grace-period"), data={"until": "2026-08-01", "reason": "x"}
    )
    assert response.status_code == 400 and extensions() == 0


def test_the_admin_list_keeps_a_certificate_in_grace_among_the_active(
    client, login, admin, certificate, clock
):
    login(admin)
    client.post(
        page_url(certificate, "/grace-period"), data={"until": "2026-08-01", "reason": "Course."}
    )
    clock.advance(days=30, hours=1)
    active = client.get("/certs/admin/certificates/?status=active").get_data(as_text=True)
    expired = client.get("/certs/admin/certificates/?status=expired").get_data(as_text=True)
    assert certificate.number in active and certificate.number not in expired
    csv_text = client.get("/certs/admin/certificates/export.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].endswith(",grace period until")
    assert csv_text.splitlines()[1].endswith(",2026-08-01")
