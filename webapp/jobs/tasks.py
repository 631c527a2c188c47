"""Job functions: thin adapters that load by id, call a service, and commit."""

from __future__ import annotations

from webapp.extensions import db
from webapp.jobs import job
from webapp.services import mail


@job("deliver_email")
def deliver_email(email_id: int) -> None:
    """Send one outbox e-mail (or store it as sent in development); safe to run twice."""
    mail.deliver(email_id)
    db.session.commit()
