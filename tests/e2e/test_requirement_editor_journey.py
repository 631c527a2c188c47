"""The requirement editor in a browser: only the chosen kind's settings are shown (all of them
without JavaScript), the add form is empty after an add and keeps refused input, and in-place
changes say so in place and leave no flash for the next page."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import htmx_settled, log_in
from tests.factories import PathFactory
from webapp.extensions import db
from webapp.models import User
from webapp.services import demo

pytestmark = pytest.mark.e2e


def draft_programme() -> int:
    demo.seed()
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@acme.test"))
    programme_id = PathFactory(
        tenant_id=admin.tenant_id, name="Ladder Safety", slug="ladder-safety"
    ).id
    db.session.commit()  # nothing read after it: the live server needs the database unlocked
    return programme_id


def legend(editor, text: str):
    return editor.locator("legend", has_text=text)


def test_the_add_form_shows_the_chosen_kind_and_empties_after_an_add(
    page: Page, live_server, live_db
):
    programme_id = draft_programme()
    log_in(page, live_server, "admin@acme.test", demo.DEMO_PASSWORD)
    page.goto(f"{live_server}/certs/admin/programs/{programme_id}")
    editor = page.locator("#requirements")

    # Narrowed at once to the chosen kind (quiz), then swapped when the kind changes.
    expect(legend(editor, "Quiz settings")).to_have_count(1)
    expect(legend(editor, "Evidence settings")).to_have_count(0)
    expect(editor.get_by_text("Only the settings of the chosen kind are used")).to_have_count(0)
    htmx_settled(page)
    kind = editor.get_by_label("Kind")
    kind.focus()
    kind.select_option("evidence")
    expect(legend(editor, "Evidence settings")).to_have_count(1)
    expect(legend(editor, "Quiz settings")).to_have_count(0)
    expect(kind).to_be_focused()

    editor.get_by_label("Title").fill("Inspection record")
    editor.get_by_label("Instructions").fill("Upload the signed ladder inspection record.")
    editor.get_by_label("PDF").check()
    editor.get_by_role("button", name="Add requirement").click()
    expect(page.locator("#requirements ol li")).to_have_count(1)
    expect(editor.get_by_role("status")).to_have_text("Requirement “Inspection record” added.")
    # The add form is empty again: default kind, no title, quiz settings.
    expect(editor.get_by_label("Title")).to_have_value("")
    expect(editor.get_by_label("Kind")).to_have_value("quiz")
    expect(legend(editor, "Quiz settings")).to_have_count(1)
    expect(legend(editor, "Evidence settings")).to_have_count(0)

    # A refused add keeps the kind and the input.
    htmx_settled(page)
    editor.get_by_label("Kind").select_option("content")
    htmx_settled(page)
    editor.get_by_label("Title").fill("Briefing")
    editor.get_by_label("Video link").fill("ftp://example.test/briefing")
    editor.get_by_role("button", name="Add requirement").click()
    expect(editor.get_by_text("must start with http")).to_be_visible()
    expect(editor.get_by_label("Title")).to_have_value("Briefing")
    expect(editor.get_by_label("Video link")).to_have_value("ftp://example.test/briefing")
    expect(legend(editor, "Quiz settings")).to_have_count(0)

    # Removing in place says so in place, and the next page shows no stale message.
    page.on("dialog", lambda dialog: dialog.accept())
    editor.get_by_role("button", name="Remove Inspection record").click()
    expect(editor.get_by_role("status")).to_have_text("Requirement “Inspection record” removed.")
    page.goto(f"{live_server}/certs/admin/")
    expect(page.get_by_text("removed.")).to_have_count(0)


def test_without_javascript_every_kind_is_shown(browser: Browser, live_server, live_db):
    programme_id = draft_programme()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "admin@acme.test", demo.DEMO_PASSWORD)
    page.goto(f"{live_server}/certs/admin/programs/{programme_id}")
    editor = page.locator("#requirements")
    for text in ("Quiz settings", "Evidence settings", "Learning content"):
        expect(legend(editor, text)).to_have_count(1)
    editor.get_by_label("Kind").select_option("content")
    editor.get_by_label("Title").fill("Briefing")
    editor.get_by_label("Content text").fill("Read the ladder briefing.")
    editor.get_by_role("button", name="Add requirement").click()
    expect(page.locator("#requirements ol li")).to_have_count(1)
    expect(page.get_by_text("Requirement “Briefing” added.")).to_be_visible()
    expect(editor.get_by_label("Title")).to_have_value("")
    context.close()
