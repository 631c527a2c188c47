"""Recertification owns what happens as certificates age: the daily expiry run (certificates
and their enrolments expire, renewal enrolments open in the renewal window or after a new
major version's grace period), the reminders before and on expiry with their e-mails, and the
expiring-certificates report.

Everything here is set-based SQL in batches (UPDATE ... / INSERT ... SELECT), never a Python
loop over certificates; loops run over programmes and reminder offsets only. Every statement
is idempotent by construction (conditions on the current state, unique constraints with
ON CONFLICT DO NOTHING), so a second run — or a concurrent one — changes nothing. A batch
that fails (a corrupt row) is retried row by row so the bad row is logged and skipped.

Modules, each importing only those before it: `batches` (the run's report and lock, the
keyset walk in BATCH_SIZE batches), `expiry`, `notices` (notifications, e-mails, reminders),
`renewals` (renewal enrolments and their ledgers), `daily_run` (run_expiry) and `reports`
(read models for admins). Functions never commit; the caller commits once.
"""

from __future__ import annotations

from webapp.services.recertification.batches import ExpiryReport
from webapp.services.recertification.daily_run import run_expiry
from webapp.services.recertification.expiry import expire_certificates
from webapp.services.recertification.notices import reminder_bands, send_reminders
from webapp.services.recertification.renewals import open_renewals
from webapp.services.recertification.reports import (
    ExpiringGroup,
    HolderRenewal,
    expiring_groups,
    holder_renewals,
)

__all__ = [
    "ExpiringGroup",
    "ExpiryReport",
    "HolderRenewal",
    "expire_certificates",
    "expiring_groups",
    "holder_renewals",
    "open_renewals",
    "reminder_bands",
    "run_expiry",
    "send_reminders",
]
