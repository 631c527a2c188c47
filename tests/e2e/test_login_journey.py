import re

import pytest
from playwright.sync_api import Page, expect

from webapp.extensions import db
from webapp.services import demo

pytestmark = pytest.mark.e2e


def test_learner_logs_in_through_the_form_and_sees_the_center(page: Page, live_server, live_db):
    demo.seed()
    db.session.commit()
    page.goto(f"{live_server}/certs")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("E-mail").fill("learner@acme.test")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="CertifiKation Center")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Programs")
    page.get_by_role("link", name="Programs").click()
    expect(page.get_by_role("link", name="Safety Fundamentals")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to CertifiKation")).to_be_visible()


def test_wrong_password_shows_the_error_next_to_the_field(page: Page, live_server, live_db):
    demo.seed()
    db.session.commit()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("learner@acme.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an active account")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value("learner@acme.test")
