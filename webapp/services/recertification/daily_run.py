"""The daily run: expiry, renewal enrolments and due reminders, under one lock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from webapp.services.recertification.batches import ExpiryReport, _try_lock
from webapp.services.recertification.expiry import expire_certificates
from webapp.services.recertification.notices import send_reminders
from webapp.services.recertification.renewals import open_renewals


def run_expiry(as_of: datetime, tenant_ids: Iterable[int] | None = None) -> ExpiryReport:
    """The daily job: expire certificates and their enrolments, open renewal enrolments
    (renewal window, or a major version after its grace period), and send due reminders;
    for every tenant, or only `tenant_ids`. Idempotent. Never commits (the caller commits
    once)."""
    report = ExpiryReport(
        as_of=as_of, tenant_ids=tuple(tenant_ids) if tenant_ids is not None else None
    )
    if not _try_lock():
        report.locked_out = True
        return report
    expire_certificates(as_of, report)
    open_renewals(as_of, report)
    send_reminders(as_of, report, lock=False)
    return report
