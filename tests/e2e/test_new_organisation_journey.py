"""A new organisation comes to life in the browser, as the issue describes it: an operator
creates the tenant; its first admin accepts the e-mailed invitation and sets a password,
imports three people from a CSV file, enrols an org unit in a programme and reads the
completion report; one of the imported people uses "Forgot your password?"."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import emailed_link, htmx_settled, log_in, set_password
from tests.factories import PlatformOperatorFactory, published_path
from webapp.extensions import db
from webapp.models import Tenant

pytestmark = pytest.mark.e2e

PASSWORD = "a long admin password"
PEOPLE_CSV = (
    "email;name;role;org unit\n"
    "nia@north.example;Nia North;learner;Operations/North\n"
    "ned@north.example;Ned North;learner;Operations/North\n"
    "sam@south.example;Sam South;mentor;Operations/South\n"
)


def test_a_new_organisation_is_brought_to_life(
    page: Page, browser: Browser, live_server, live_db, embedded_live_app, tmp_path
):
    operator = PlatformOperatorFactory(full_name="Olu Operator")
    operator_email = operator.email
    db.session.commit()

    # The operator creates the tenant with its first admin.
    log_in(page, live_server, operator_email, lands_on="Tenants of this installation")
    page.get_by_role("link", name="New tenant").first.click()
    page.get_by_label("Organisation name").fill("Northwind Logistics")
    page.get_by_label("E-mail of its first admin").fill("ada@northwind.example")
    page.get_by_role("button", name="Create tenant and invite its admin").click()
    expect(
        page.get_by_text("An invitation to set a password was sent to ada@northwind.example")
    ).to_be_visible()

    # The admin accepts the invitation in a browser of their own.
    admin = browser.new_context().new_page()
    admin.goto(emailed_link("ada@northwind.example", "/auth/invitation/"))
    set_password(admin, PASSWORD)
    admin.get_by_role("button", name="Set my password").click()
    expect(admin.get_by_role("heading", name="CertifiKation Center")).to_be_visible()

    # A programme to enrol people in (programmes have their own journeys).
    tenant = db.session.scalar(sa.select(Tenant).where(Tenant.name == "Northwind Logistics"))
    programme = published_path(tenant, name="Forklift Basics", slug="forklift-basics")
    programme_id = programme.id
    db.session.commit()

    # Three people from a CSV file, previewed first, with their org units created.
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(PEOPLE_CSV, encoding="utf-8-sig")
    admin.goto(f"{live_server}/certs/admin/people/import")
    admin.get_by_label(re.compile(r"^People file")).set_input_files(str(csv_file))
    admin.get_by_label(re.compile(r"^Create missing org units")).check()
    admin.get_by_role("button", name="Preview the import").click()
    expect(admin.get_by_role("heading", name="Import preview")).to_be_visible()
    admin.get_by_role("button", name="Import 3 people").click()
    admin.goto(f"{live_server}/certs/admin/people/")
    for name in ("Nia North", "Ned North", "Sam South"):
        expect(admin.get_by_role("table")).to_contain_text(name)

    # The whole North unit is enrolled in the programme.
    admin.goto(f"{live_server}/certs/admin/programs/{programme_id}/enrolments")
    htmx_settled(admin)
    enrol = admin.locator("#enrol-people")
    enrol.get_by_label("A whole org unit").select_option(label="Operations/North")
    enrol.get_by_role("button", name="Enrol").click()
    report = enrol.get_by_role("status")
    expect(report).to_contain_text("Nia North")
    expect(report).to_contain_text("Ned North")
    expect(admin.locator("#enrolment-list")).to_contain_text("Ned North")

    # The completion report counts them.
    admin.goto(f"{live_server}/certs/admin/reports/")
    admin.get_by_role("link", name="Completion").first.click()
    figures = admin.get_by_role("table", name=re.compile(r"^Completion per programme"))
    expect(figures.get_by_role("row", name=re.compile(r"Forklift Basics"))).to_contain_text("2")

    # An imported person was never invited: "Forgot your password?" lets them in.
    learner = browser.new_context().new_page()
    learner.goto(f"{live_server}/auth/login")
    learner.get_by_role("link", name="Forgot your password?").click()
    learner.get_by_label("E-mail").fill("nia@north.example")
    learner.get_by_role("button", name="Send me a link").click()
    expect(
        learner.get_by_text("If the address you gave belongs to an active account")
    ).to_be_visible()
    learner.goto(emailed_link("nia@north.example", "/auth/reset/"))
    set_password(learner, "nia's own long password")
    learner.get_by_role("button", name="Set my new password").click()
    expect(learner.get_by_role("heading", name="CertifiKation Center")).to_be_visible()
    expect(learner.get_by_text("Forklift Basics").first).to_be_visible()
