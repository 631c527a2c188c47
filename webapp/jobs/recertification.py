"""Recertification jobs: the daily expiry run and the hourly reminders."""

from __future__ import annotations

from datetime import datetime

from webapp import clock
from webapp.extensions import db
from webapp.outbox import defer, job
from webapp.services import recertification


def _as_of(as_of_iso: str | None) -> datetime:
    return datetime.fromisoformat(as_of_iso) if as_of_iso else clock.now()


@job("run_expiry")
def run_expiry(as_of_iso: str | None = None) -> None:
    """The daily expiry and recertification run; queues the e-mails it wrote."""
    report = recertification.run_expiry(_as_of(as_of_iso))
    if report.emails_queued:
        defer("deliver_outbox", queue="mail")
    db.session.commit()


@job("send_reminders")
def send_reminders(as_of_iso: str | None = None) -> None:
    """The hourly reminder sender; queues the e-mails it wrote."""
    as_of = _as_of(as_of_iso)
    report = recertification.ExpiryReport(as_of=as_of)
    recertification.send_reminders(as_of, report)
    if report.emails_queued:
        defer("deliver_outbox", queue="mail")
    db.session.commit()
