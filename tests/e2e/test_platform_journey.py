"""An installation operator, in the browser: logs in as usual, lands on the console, creates a
tenant with its first admin, and suspends it after confirming."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in
from tests.factories import PlatformOperatorFactory
from webapp.extensions import db

pytestmark = pytest.mark.e2e


def test_an_operator_creates_and_suspends_a_tenant(page: Page, live_app, live_server, live_db):
    operator = PlatformOperatorFactory(full_name="Olu Operator")
    email = operator.email
    db.session.commit()

    log_in(page, live_server, email, lands_on="Tenants of this installation")

    page.get_by_role("link", name="New tenant").first.click()
    page.get_by_label("Organisation name").fill("Internal Staff")
    page.get_by_label("E-mail of its first admin").fill("lead@staff.example")
    page.get_by_role("button", name="Create tenant and invite its admin").click()
    expect(
        page.get_by_text("An invitation to set a password was sent to lead@staff.example")
    ).to_be_visible()
    row = page.get_by_role("row", name="Internal Staff")
    expect(row).to_contain_text("Active")

    row.get_by_role("link", name="Suspend").click()
    expect(page.get_by_role("heading", name="Suspend Internal Staff?")).to_be_visible()
    page.get_by_role("button", name="Suspend Internal Staff").click()
    expect(page.get_by_text("Internal Staff is suspended")).to_be_visible()
    expect(page.get_by_role("row", name="Internal Staff")).to_contain_text("Suspended")
