"""Steps shared by the browser journeys."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.conftest import TEST_PASSWORD
from webapp.extensions import db
from webapp.models import OutboxEmail


def log_in(
    page: Page,
    base: str,
    email: str,
    password: str = TEST_PASSWORD,
    lands_on: str = "CertifiKation Center",
) -> None:
    """Log in through the login form and land on the page headed `lands_on` (the Center; an
    operator's is the console, "Tenants of this installation")."""
    page.goto(f"{base}/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=lands_on)).to_be_visible()


def htmx_settled(page: Page) -> None:
    """Wait until htmx has finished every request and swap. htmx wires up swapped-in elements
    only when the swap settles (20 ms later), so an event on them before that is lost; a
    person is never that quick, a test is."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def emailed_link(address: str, path: str) -> str:
    """The link to `path` in the newest e-mail to `address` that the live server committed."""
    db.session.rollback()  # see what the live server committed
    body = db.session.scalar(
        sa.select(OutboxEmail.body)
        .where(OutboxEmail.to_address == address)
        .order_by(OutboxEmail.id.desc())
    )
    db.session.rollback()  # no read transaction left open: SQLite would lock the server out
    return re.search(rf"http\S+{path}\S+", body).group(0)


def set_password(page: Page, password: str) -> None:
    """Fill the set-a-password form (invitation or reset)."""
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)
