"""Issue 12 journey (org units and enrolments): an admin adds a unit inside another and assigns
a mentor to review it in place, then enrols an org unit and a pasted list of addresses into a
programme and reads the report while the enrolment list reloads itself."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import htmx_settled, log_in
from webapp.extensions import db
from webapp.models import CertificationPath, Role, User
from webapp.services import demo

pytestmark = pytest.mark.e2e


def test_admin_builds_the_tree_and_enrols_a_unit(page: Page, live_server, live_db):
    demo.seed()
    db.session.commit()
    acme = db.session.scalar(db.select(User).where(User.email == "admin@acme.test")).tenant_id
    programme = db.session.scalar(
        db.select(CertificationPath).where(
            CertificationPath.tenant_id == acme, CertificationPath.slug == "safety-fundamentals"
        )
    )
    north_site = db.session.scalar(
        db.select(User.org_unit_id).where(User.email == "learner@acme.test")
    )
    db.session.add(
        User(
            tenant_id=acme,
            email="newcomer@acme.test",
            full_name="Nia Newcomer",
            role=Role.LEARNER,
            org_unit_id=north_site,
            password_hash="!",
        )
    )
    programme_id = programme.id
    db.session.commit()  # and no transaction left open: the live server writes now
    log_in(page, live_server, "admin@acme.test", demo.DEMO_PASSWORD)

    # The tree, then a new unit inside North Site.
    page.goto(f"{live_server}/certs/admin/")
    page.get_by_role("link", name="The org unit tree").click()
    expect(page.get_by_role("heading", name="Org units", exact=True)).to_be_visible()
    page.get_by_role("link", name="North Site").click()
    page.get_by_role("link", name="Add a unit inside “North Site”").click()
    expect(page.get_by_label("Inside")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Name").fill("Yard")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Org unit “Yard” created.")).to_be_visible()
    tree = page.get_by_role("list", name="Inside North Site")
    expect(tree.get_by_role("link", name="Yard")).to_be_visible()

    # A mentor assigned to review the yard, in place.
    tree.get_by_role("link", name="Yard").click()
    htmx_settled(page)
    mentors = page.locator("#unit-mentors")
    mentors.get_by_label("Mentor").select_option(label="Morgan Mentor (mentor@acme.test)")
    mentors.get_by_role("button", name="Assign").click()
    expect(mentors.get_by_text("Morgan Mentor now reviews the work in “Yard”.")).to_be_visible()
    expect(mentors.get_by_role("table", name="Assigned to “Yard”")).to_contain_text("Morgan Mentor")

    # The newcomer, enrolled with the whole unit and a pasted list.
    page.goto(f"{live_server}/certs/admin/programs/{programme_id}")
    page.get_by_role("link", name="enrol people").click()
    htmx_settled(page)
    listing = page.locator("#enrolment-list")
    expect(listing).not_to_contain_text("Nia Newcomer")
    enrol = page.locator("#enrol-people")
    enrol.get_by_label("A whole org unit").select_option(label="Operations/North Site")
    enrol.get_by_label("E-mail addresses").fill("nobody@acme.test; learner2@acme.test")
    enrol.get_by_role("button", name="Enrol").click()
    report = enrol.get_by_role("status")
    expect(report).to_contain_text("Nia Newcomer")
    expect(report).to_contain_text("nobody@acme.test")
    expect(report.get_by_role("heading", name="Unknown e-mail addresses")).to_be_visible()
    # The list below reloads itself with the new enrolment.
    expect(listing).to_contain_text("Nia Newcomer")
    expect(enrol.get_by_label("E-mail addresses")).to_have_value("")
