"""Browser journey: evidence uploaded as a PDF, rejected with a comment, submitted again and
approved, through the real pages (htmx on)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import log_in
from tests.factories import TenantFactory, UserFactory, evidence_path
from webapp.extensions import db
from webapp.models import Role
from webapp.services import certification_path_management as paths

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def submit_evidence(page: Page, url: str, text: str, file_name: str) -> None:
    page.goto(url)
    page.get_by_label("Description").fill(text)
    page.get_by_label("Files").set_input_files(
        {"name": file_name, "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Submit evidence").click()
    expect(page.get_by_text("Waiting for review")).to_be_visible()
    expect(page.get_by_role("link", name=file_name)).to_be_visible()


def open_review(page: Page, base: str) -> None:
    page.goto(f"{base}/certs")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Reviews")
    ).click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    page.get_by_role("link", name="Review Inspection report by Lee Learner").click()
    expect(page.get_by_role("heading", name="Evidence: Inspection report")).to_be_visible()


def test_evidence_rejected_with_a_comment_then_approved(
    page: Page, browser: Browser, live_server, live_db
):
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant, full_name="Lee Learner")
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Morgan Mentor")
    programme = evidence_path(
        tenant, name="Safety Basics", slug="safety-basics", accepted_types=("pdf",)
    )
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    learner_email, mentor_email = learner.email, mentor.email
    db.session.commit()  # and touch no ORM object after it: SQLite readers block writers
    url = f"{live_server}/certs/programs/safety-basics/requirements/{requirement_id}"

    log_in(page, live_server, learner_email)
    submit_evidence(page, url, "Inspection of the north yard.", "inspection.pdf")

    mentor_page = browser.new_page()
    log_in(mentor_page, live_server, mentor_email)
    expect(mentor_page.locator("#nav-reviews .badge")).to_have_text("1")
    open_review(mentor_page, live_server)
    expect(mentor_page.get_by_text("Inspection of the north yard.")).to_be_visible()
    mentor_page.get_by_label("Comment (required to reject)").fill("Please add the signature page.")
    mentor_page.evaluate("window.stillTheSamePage = true")
    mentor_page.get_by_role("button", name="Reject").click()
    expect(mentor_page.get_by_text("Decision recorded: rejected.")).to_be_visible()
    assert mentor_page.evaluate("window.stillTheSamePage") is True  # swapped in place
    # Updated in place: the queue beside it and the navigation count refresh without a reload.
    expect(mentor_page.get_by_text("Nothing is waiting for your review.")).to_be_visible()
    expect(mentor_page.locator("#nav-reviews .badge")).to_have_count(0)

    page.goto(url)
    expect(page.get_by_text("Please add the signature page.")).to_be_visible()
    submit_evidence(page, url, "Now with the signature page.", "inspection-signed.pdf")

    open_review(mentor_page, live_server)
    expect(mentor_page.get_by_text("Now with the signature page.")).to_be_visible()
    expect(mentor_page.get_by_text("Please add the signature page.")).to_be_visible()  # earlier
    mentor_page.get_by_role("button", name="Approve").click()
    expect(mentor_page.get_by_text("Decision recorded: approved.")).to_be_visible()

    page.goto(url)
    expect(page.get_by_role("heading", name=re.compile("Inspection report"))).to_contain_text("Met")
    expect(page.get_by_text("this requirement is met")).to_be_visible()
    mentor_page.close()


def test_an_upload_over_the_request_limit_is_explained(page: Page, live_app, live_server, live_db):
    """413 is not swapped by htmx; the page still tells the learner what happened."""
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant)
    programme = evidence_path(tenant, slug="limits", accepted_types=("pdf",))
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    email = learner.email
    db.session.commit()
    previous = live_app.config["MAX_CONTENT_LENGTH"]
    live_app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        log_in(page, live_server, email)
        page.goto(f"{live_server}/certs/programs/limits/requirements/{requirement_id}")
        page.get_by_label("Description").fill("Too big")
        page.get_by_label("Files").set_input_files(
            {"name": "big.pdf", "mimeType": "application/pdf", "buffer": PDF + b" " * 8192}
        )
        page.get_by_role("button", name="Submit evidence").click()
        expect(page.get_by_role("alert")).to_contain_text("The upload is larger than allowed.")
        expect(page.get_by_label("Description")).to_have_value("Too big")
    finally:
        live_app.config["MAX_CONTENT_LENGTH"] = previous
