"""Issue 4 journey, keyboard only: a learner takes a quiz, fails, sees the cooldown notice;
after the clock moves 30 minutes passes it; the requirement shows met and the progress bar
moved."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import quizdata
from tests.conftest import TEST_PASSWORD
from tests.factories import TenantFactory, UserFactory, quiz_path
from webapp.extensions import db
from webapp.services import certification_path_management as paths

pytestmark = pytest.mark.e2e

QUESTIONS = [
    quizdata.single(explanation="Raising the alarm warns everyone."),
    quizdata.true_false(id="q2", explanation="Fire doors stop smoke."),
]


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has the focus (the way a keyboard user gets there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def submit_answers(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())  # the "Submit your answers?" question
    tab_to(page, page.get_by_role("button", name="Submit answers"))
    page.keyboard.press("Enter")


def test_a_learner_fails_waits_for_the_cooldown_and_passes_with_the_keyboard(
    page: Page, live_server, live_db, clock
):
    tenant = TenantFactory(name="Acme")
    programme = quiz_path(tenant, questions=QUESTIONS, name="Fire Safety", slug="fire-safety")
    learner = UserFactory(tenant=tenant, email="lee@acme.test")
    paths.enrol(learner, programme)
    db.session.commit()

    page.goto(f"{live_server}/auth/login")
    tab_to(page, page.get_by_label("E-mail"))
    page.keyboard.type("lee@acme.test")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="CertifiKation Center")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Fire Safety"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("0 of 2 requirements met")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Safety quiz"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Safety quiz"))).to_be_visible()

    # First attempt: both answers wrong.
    tab_to(page, page.get_by_role("button", name="Start quiz"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("0 of 2 answered")).to_be_visible()
    tab_to(page, page.get_by_label("Raise the alarm"))
    page.keyboard.press("ArrowDown")  # selects "Collect your belongings"
    expect(page.locator("#saved-q1")).to_have_text("✓ Saved")
    tab_to(page, page.get_by_label("True", exact=True))
    page.keyboard.press("Space")
    expect(page.locator("#saved-q2")).to_have_text("✓ Saved")
    expect(page.get_by_text("2 of 2 answered")).to_be_visible()
    submit_answers(page)
    expect(page.get_by_role("heading", name="Not passed")).to_be_visible()
    expect(page.get_by_text("0 of 2 points")).to_be_visible()

    # The requirement page says when the next attempt may start.
    tab_to(page, page.get_by_role("link", name="Back to the requirement"))
    page.keyboard.press("Enter")
    notice = page.locator("#quiz-next-step")
    expect(notice).to_contain_text("You can start your next attempt at 15 Jun 2026, 10:30:00 UTC")
    expect(page.get_by_role("button", name="Start quiz")).to_have_count(0)

    # Thirty minutes later the learner tries again and passes.
    clock.advance(minutes=30)
    page.reload()
    tab_to(page, page.get_by_role("button", name="Start quiz"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("0 of 2 answered")).to_be_visible()
    tab_to(page, page.get_by_label("Raise the alarm"))
    page.keyboard.press("Space")
    expect(page.locator("#saved-q1")).to_have_text("✓ Saved")
    tab_to(page, page.get_by_label("True", exact=True))
    page.keyboard.press("ArrowDown")  # selects "False"
    expect(page.locator("#saved-q2")).to_have_text("✓ Saved")
    submit_answers(page)
    expect(page.get_by_role("heading", name="Passed")).to_be_visible()
    expect(page.get_by_text("Requirement met.")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Your progress in Fire Safety"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 of 2 requirements met")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "1")
    expect(page.locator("ol.requirements li").first).to_contain_text("Met")


def test_pages_change_in_place_keep_answers_and_the_timer_runs(
    page: Page, live_server, live_db, clock
):
    questions = [
        {**QUESTIONS[1], "id": f"t{n}", "prompt": f"Statement number {n} is true."}
        for n in range(1, 8)
    ]
    tenant = TenantFactory(name="Acme")
    programme = quiz_path(tenant, questions=questions, settings={"time_limit_min": 20})
    learner = UserFactory(tenant=tenant, email="lee@acme.test")
    enrolment, _ = paths.enrol(learner, programme)
    requirement_url = (
        f"{live_server}/certs/programs/{programme.slug}/requirements/"
        f"{enrolment.program_snapshot['requirements'][0]['requirement_id']}"
    )
    db.session.commit()  # (no ORM reads after this: a read would hold SQLite's lock)
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("lee@acme.test")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(requirement_url)
    page.get_by_role("button", name="Start quiz").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # lost on any full page load

    timer = page.locator("#quiz-timer")
    expect(timer).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    expect(timer).not_to_have_text("20:00", timeout=3000)  # it counts down

    page.get_by_label("True").first.check()
    expect(page.locator("#saved-t1")).to_have_text("✓ Saved")
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page).to_have_url(re.compile(r"page=2$"))
    page.get_by_label("False").last.check()
    expect(page.locator("#saved-t7")).to_have_text("✓ Saved")
    nav = page.get_by_role("navigation", name="Questions")
    expect(nav).to_contain_text("2 of 7 answered")
    expect(nav.locator("#nav-t7")).to_contain_text("✓ answered")
    nav.get_by_role("link", name="Question 1", exact=True).click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page.get_by_label("True").first).to_be_checked()
    assert page.evaluate("window.stillTheSamePage") is True

    # Cancelling the confirmation submits nothing; accepting shows the result.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Not passed")).to_be_visible()
    expect(page.get_by_text("1 of 7 points")).to_be_visible()
