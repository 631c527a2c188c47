"""Issue 3 journey: an admin builds and publishes a programme through the forms; a learner
enrols into a pinned snapshot; later edits leave the learner's snapshot alone."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import htmx_settled, log_in
from webapp.extensions import db
from webapp.services import demo

pytestmark = pytest.mark.e2e


def add_single_choice(page: Page, prompt: str, right: str, wrong: str) -> None:
    page.get_by_label("Add a question of type").select_option("single")
    page.locator("#new-question").get_by_role("button", name="Add question").click()
    new = page.locator("#new-question")
    new.get_by_label("Question", exact=True).fill(prompt)
    new.get_by_label("Option 1", exact=True).fill(right)
    new.get_by_label("Option 1 is correct").check()
    new.get_by_label("Option 2", exact=True).fill(wrong)
    new.get_by_role("button", name="Add question").click()
    expect(page.locator("#question-list")).to_contain_text(prompt)


def test_admin_builds_a_programme_and_the_learner_stays_pinned(
    page: Page, browser: Browser, live_server, live_db
):
    demo.seed()
    db.session.commit()
    log_in(page, live_server, "admin@acme.test", demo.DEMO_PASSWORD)

    # A quiz with two questions, published.
    page.goto(f"{live_server}/certs/admin/quizzes/")
    page.get_by_role("link", name="New quiz").click()
    page.get_by_label("Title").fill("Scaffold quiz")
    page.get_by_role("button", name="Create quiz").click()
    add_single_choice(page, "Who inspects a scaffold?", "A competent person", "Anyone")
    add_single_choice(page, "When is a scaffold tagged?", "After inspection", "Never")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 published.")).to_be_visible()

    # The programme, through the form.
    page.goto(f"{live_server}/certs/admin/programs/")
    page.get_by_role("link", name="New programme").click()
    page.get_by_label("Name").fill("Scaffold Safety")
    page.get_by_label("Slug").fill("scaffold-safety")
    page.get_by_label("Level").select_option("intermediate")
    page.get_by_label("Validity (days)").fill("365")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Scaffold Safety"))).to_be_visible()

    # Requirements, added in place: a quiz, then evidence.
    editor = page.locator("#requirements")
    htmx_settled(page)
    editor.get_by_label("Kind").select_option("quiz")
    htmx_settled(page)  # the quiz settings are swapped in before they are filled
    editor.get_by_label("Title").fill("Scaffold theory")
    editor.get_by_label("Quiz", exact=True).select_option(label="Scaffold quiz")
    editor.get_by_role("button", name="Add requirement").click()
    expect(page.locator("#requirements ol li")).to_have_count(1)
    htmx_settled(page)
    editor = page.locator("#requirements")
    editor.get_by_label("Kind").select_option("evidence")
    htmx_settled(page)
    editor.get_by_label("Title").fill("Inspection record")
    editor.get_by_label("Instructions").fill("Upload a signed scaffold inspection record.")
    editor.get_by_label("PDF").check()
    editor.get_by_role("button", name="Add requirement").click()
    items = page.locator("#requirements ol li")
    expect(items).to_have_count(2)

    # Reorder in place: the evidence first.
    page.get_by_role("button", name="Move up: Inspection record").click()
    expect(page.locator("#requirements ol li").first).to_contain_text("Inspection record")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published version 1.0.")).to_be_visible()

    # The learner enrols and sees 0 of 2.
    learner_context = browser.new_context(base_url=live_server)
    learner = learner_context.new_page()
    log_in(learner, live_server, "learner@acme.test", demo.DEMO_PASSWORD)
    learner.get_by_role("link", name="Programs").click()
    learner.get_by_role("link", name="Scaffold Safety").click()
    learner.get_by_role("button", name="Enrol").click()
    expect(learner.get_by_text("0 of 2 requirements met").first).to_be_visible()
    steps = learner.locator("ol.requirements li")
    expect(steps.first).to_contain_text("Inspection record")

    # The admin changes the programme; the learner's enrolment keeps its snapshot.
    editor = page.locator("#requirements")
    editor.get_by_label("Kind").select_option("content")
    editor.get_by_label("Title").fill("Scaffold briefing")
    editor.get_by_label("Content text").fill("Read the scaffold briefing.")
    editor.get_by_role("button", name="Add requirement").click()
    expect(page.locator("#requirements ol li")).to_have_count(3)
    page.get_by_role("button", name="Publish changes").click()
    expect(page.get_by_text("Published version 2.0.")).to_be_visible()

    learner.reload()
    expect(learner.get_by_text("0 of 2 requirements met").first).to_be_visible()
    expect(learner.locator("ol.requirements li")).to_have_count(2)
    expect(learner.get_by_text("Scaffold briefing")).to_have_count(0)
    learner_context.close()
