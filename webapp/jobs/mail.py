"""E-mail jobs: deliver one outbox e-mail, or every pending one."""

from __future__ import annotations

from webapp.extensions import db
from webapp.outbox import job
from webapp.services import mail


@job("deliver_email")
def deliver_email(email_id: int) -> None:
    """Send one outbox e-mail (or store it as sent in development); safe to run twice."""
    mail.deliver(email_id)
    db.session.commit()


@job("deliver_outbox")
def deliver_outbox() -> None:
    """Send the pending outbox e-mails in batches (each batch committed)."""
    while mail.deliver_pending(limit=200):
        db.session.commit()
    db.session.commit()
