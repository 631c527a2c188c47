"""People journeys: an admin adds a person, who accepts the e-mailed invitation and sets a
password; a learner uses "Forgot your password?" and logs in with the new one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import emailed_link, log_in, set_password
from tests.factories import TenantFactory, UserFactory
from webapp.extensions import db
from webapp.models import Role

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a long new password"


def test_an_admin_invites_a_person_who_sets_a_password(
    page: Page, browser: Browser, live_server, live_db, embedded_live_app
):
    tenant = TenantFactory(name="Acme Safety")
    UserFactory(tenant=tenant, full_name="Alex Admin", email="boss@acme.test", role=Role.ADMIN)
    db.session.commit()

    log_in(page, live_server, "boss@acme.test")
    page.goto(f"{live_server}/certs/admin/")
    page.get_by_role("link", name="Manage people").click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Name", exact=True).fill("Dana Example")
    page.get_by_label("E-mail", exact=True).fill("dana@acme.test")
    page.get_by_label("Role").select_option("mentor")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Dana Example added and invited.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dana Example", exact=True)).to_be_visible()

    invited = browser.new_context().new_page()
    invited.goto(emailed_link("dana@acme.test", "/auth/invitation/"))
    expect(invited.get_by_role("heading", name="Welcome, Dana Example")).to_be_visible()
    set_password(invited, NEW_PASSWORD)
    invited.get_by_role("button", name="Set my password").click()
    expect(invited.get_by_text("Welcome! Your password is set.")).to_be_visible()
    expect(invited.get_by_role("heading", name="CertifiKation Center")).to_be_visible()

    page.goto(f"{live_server}/certs/admin/people/?q=dana")
    expect(page.get_by_role("table")).to_contain_text("Active")


def test_a_learner_resets_a_forgotten_password(page: Page, live_server, live_db, embedded_live_app):
    UserFactory(full_name="Lou Learner", email="lou@acme.test")
    db.session.commit()

    page.goto(f"{live_server}/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("lou@acme.test")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If the address you gave belongs to an active account")).to_be_visible()

    page.goto(emailed_link("lou@acme.test", "/auth/reset/"))
    set_password(page, NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="CertifiKation Center")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "lou@acme.test", NEW_PASSWORD)
