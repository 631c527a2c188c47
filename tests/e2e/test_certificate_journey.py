"""Issue 6 journey: a learner completes the last requirement and downloads the certificate's
PDF; a visitor verifies it (valid); an admin revokes it; the visitor reloads (revoked)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import log_in
from tests.factories import TenantFactory, UserFactory, published_path
from webapp.extensions import db
from webapp.models import Role
from webapp.services import certification_path_management as paths

pytestmark = pytest.mark.e2e


def test_certificate_is_issued_downloaded_verified_and_revoked(
    page: Page, browser: Browser, live_server, live_db, embedded_live_app
):
    tenant = TenantFactory(name="Acme Safety")
    learner = UserFactory(tenant=tenant, full_name="Ana Lopez", email="ana@acme.test")
    UserFactory(tenant=tenant, full_name="Alex Admin", email="boss@acme.test", role=Role.ADMIN)
    programme = published_path(
        tenant, requirements=1, name="Fire Safety", slug="fire-safety", validity_days=365
    )
    paths.enrol(learner, programme)
    requirement_title = programme.requirements[0].title
    db.session.commit()

    # The learner completes the last requirement.
    log_in(page, live_server, "ana@acme.test")
    page.goto(f"{live_server}/certs/programs/fire-safety")
    page.get_by_role("link", name=requirement_title).click()
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("Marked as complete.")).to_be_visible()

    # My Certificates: the certificate, its PDF and its verification link.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My Certificates").click()
    card = page.get_by_role("article", name="Fire Safety")
    expect(card).to_contain_text("CERT-2026-00001")
    expect(card).to_contain_text("Active")
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "CERT-2026-00001.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    verification_url = card.get_by_label("Verification link").input_value()
    assert verification_url.startswith(f"{live_server}/certs/verify/")

    # An anonymous visitor opens the link.
    visitor = browser.new_page()
    visitor.goto(verification_url)
    expect(visitor.get_by_role("heading", name="Certificate verification")).to_be_visible()
    expect(visitor.get_by_text("This certificate is valid.")).to_be_visible()
    expect(visitor.get_by_text("Ana Lopez")).to_be_visible()

    # An admin revokes it, with a reason and a confirmation.
    admin = browser.new_page()
    log_in(admin, live_server, "boss@acme.test")
    admin.goto(f"{live_server}/certs/admin/certificates/")
    admin.get_by_role("link", name="CERT-2026-00001").click()
    admin.get_by_role("link", name="Revoke…").click()
    admin.get_by_label("Reason for the revocation").fill("Issued to the wrong person")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Revoke certificate").click()
    expect(admin.get_by_text("Certificate CERT-2026-00001 revoked.")).to_be_visible()
    expect(admin.get_by_text("Issued to the wrong person", exact=True)).to_be_visible()

    # The visitor reloads: revoked, at once.
    visitor.reload()
    expect(visitor.get_by_text("This certificate was revoked on")).to_be_visible()
    visitor.close()
    admin.close()
