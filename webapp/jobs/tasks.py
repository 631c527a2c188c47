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


@job("deliver_outbox")
def deliver_outbox() -> None:
    """Send the pending outbox e-mails in batches (each batch committed)."""
    while mail.deliver_pending(limit=200):
        db.session.commit()
    db.session.commit()


@job("run_expiry")
def run_expiry(as_of_iso: str | None = None) -> None:
    """The daily expiry and recertification run; queues the e-mails it wrote."""
    from datetime import datetime

    from webapp import clock
    from webapp.jobs import defer
    from webapp.services import recertification

    as_of = datetime.fromisoformat(as_of_iso) if as_of_iso else clock.now()
    report = recertification.run_expiry(as_of)
    if report.emails_queued:
        defer("deliver_outbox", queue="mail")
    db.session.commit()


@job("send_reminders")
def send_reminders(as_of_iso: str | None = None) -> None:
    """The hourly reminder sender; queues the e-mails it wrote."""
    from datetime import datetime

    from webapp import clock
    from webapp.jobs import defer
    from webapp.services import recertification

    as_of = datetime.fromisoformat(as_of_iso) if as_of_iso else clock.now()
    report = recertification.ExpiryReport(as_of=as_of)
    recertification.send_reminders(as_of, report)
    if report.emails_queued:
        defer("deliver_outbox", queue="mail")
    db.session.commit()
