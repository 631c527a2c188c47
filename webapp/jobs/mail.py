"""E-mail jobs: deliver one outbox e-mail, or every pending one; a password reset link."""

from __future__ import annotations

from webapp.extensions import db
from webapp.outbox import job
from webapp.services import mail, people


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


@job("send_password_reset")
def send_password_reset(email: str) -> None:
    """E-mail a password reset link to the active account with this address; an unknown
    address does nothing (the request that deferred this answered the same either way).
    Commits."""
    people.send_password_reset(email)
    db.session.commit()
