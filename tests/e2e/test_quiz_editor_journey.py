import re

import pytest
from playwright.sync_api import Page, expect

from webapp.extensions import db
from webapp.services import demo

pytestmark = pytest.mark.e2e


def test_admin_builds_a_quiz_in_place_and_publishes_it(page: Page, live_server, live_db):
    demo.seed()
    db.session.commit()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("admin@acme.test")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/certs/admin/")
    page.get_by_role("link", name="Edit and publish quizzes").click()
    page.get_by_role("link", name="New quiz").click()
    page.get_by_label("Title").fill("Ladder safety")
    page.get_by_role("button", name="Create quiz").click()
    expect(page.get_by_role("heading", name="Ladder safety")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # lost on any full page load

    # Add a single-choice question in place.
    page.get_by_label("Add a question of type").select_option("single")
    page.locator("#new-question").get_by_role("button", name="Add question").click()
    new = page.locator("#new-question")
    new.get_by_label("Question", exact=True).fill(
        "How far should a ladder's foot stand from the wall?"
    )
    new.get_by_label("Option 1", exact=True).fill("A quarter of its height")
    new.get_by_label("Option 1 is correct").check()
    new.get_by_label("Option 2", exact=True).fill("Touching the wall")
    new.get_by_role("button", name="Add question").click()
    question = page.locator("#question-list > li").first
    expect(question).to_contain_text("A quarter of its height (correct)")

    # A refused edit shows the error in place; a good one replaces the form.
    question.get_by_role("link", name="Edit").click()
    question = page.locator("#question-list > li").first
    question.get_by_label("Question", exact=True).fill("")
    question.get_by_role("button", name="Save question").click()
    expect(question).to_contain_text("Write the question.")
    question.get_by_label("Question", exact=True).fill("Where should a ladder's foot stand?")
    question.get_by_role("button", name="Save question").click()
    expect(question).to_contain_text("Where should a ladder's foot stand?")

    # A true/false question without its answer blocks publishing.
    page.get_by_label("Add a question of type").select_option("true_false")
    page.locator("#new-question").get_by_role("button", name="Add question").click()
    page.locator("#new-question").get_by_label("Question", exact=True).fill(
        "Metal ladders conduct power."
    )
    page.locator("#new-question").get_by_role("button", name="Add question").click()
    expect(page.locator("#question-list > li")).to_have_count(2)
    expect(page.get_by_text("No correct answer yet")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("has no correct answer")).to_be_visible()
    page.get_by_role("link", name="Back to the quiz editor").click()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#question-list > li").nth(1).get_by_role("link", name="Remove").click()
    expect(page.locator("#question-list > li")).to_have_count(1)
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 published.")).to_be_visible()
    expect(page.get_by_text(re.compile("The draft is the same as version 1"))).to_be_visible()
