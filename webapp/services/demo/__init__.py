"""Demo data for a newcomer's machine (`flask seed-demo`): two tenants whose learners hold
certificates in every state, built through the services at moments relative to today.

Each run deletes the demo tenants (slugs `acme` and `globex`; no other tenant is touched) and
builds them again, so there is always exactly one copy and its dates follow the calendar.
The programmes and the quiz are published 430 days before `today`; then every learner's story
is played in time order under a frozen clock — enrolments, content read, quiz attempts,
evidence and the mentor's decisions, a revocation, a corrected quiz key and its regrade —
with the daily expiry job run on each day it has something to do (a renewal window opening,
a reminder, an expiry). The services keep every rule, and the notifications, e-mails and jobs
follow from them. Flushes, never commits: `flask seed-demo` commits once, deletes the old
demo's files and then runs the deferred jobs (certificate PDFs, e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    OPEN_ENROLMENT_STATUSES,
    Certificate,
    CertificationPath,
    Enrolment,
    Notification,
    OutboxEmail,
    RegradeBatch,
    Role,
    User,
)
from webapp.services import certificates as certs
from webapp.services import peer_validation
from webapp.services.automated_evaluation import DEFAULT_SETTINGS
from webapp.services.demo.builder import DemoBuilder
from webapp.services.demo.content import (
    DEMO_PASSWORD,
    DEMO_STORIES,
    DEMO_TENANTS,
    DEMO_USERS,
    SAFETY_QUESTIONS,
)
from webapp.services.demo.purge import delete_files, purge_demo_tenants

__all__ = [
    "DEFAULT_SETTINGS",
    "DEMO_PASSWORD",
    "DEMO_STORIES",
    "DEMO_TENANTS",
    "DEMO_USERS",
    "SAFETY_QUESTIONS",
    "DemoReport",
    "delete_files",
    "purge_demo_tenants",
    "seed",
]


@dataclass
class DemoReport:
    """What one seed built (counts of the demo tenants only), and the stored files of the demo
    it replaced: delete those after the commit (`delete_files`)."""

    today: datetime
    tenants_replaced: int = 0
    tenants: int = 0
    users: int = 0
    programmes: int = 0
    certificates: dict[str, int] = field(default_factory=dict)  # display status -> count
    renewed_certificates: int = 0
    open_enrolments: int = 0
    reviews_waiting: int = 0
    regrade_batches: int = 0
    notifications: int = 0
    emails: int = 0
    expiry_runs: int = 0
    stale_files: list[str] = field(default_factory=list)


def seed(today: datetime | None = None) -> DemoReport:
    """Replace the demo tenants with a fresh demo whose history ends at `today` (default: now,
    from the clock). The clock is frozen while the history is played and restored afterwards.
    Raises whatever a service refuses (a demo story breaking a rule). Flushes, never commits."""
    today = today or clock.now()
    replaced, stale_files = purge_demo_tenants()
    builder = DemoBuilder(today)
    previous = clock.install(builder.clock)
    try:
        builder.build()
    finally:
        clock.install(previous)
    db.session.flush()
    report = _report(today, [t.id for t in builder.tenants.values()])
    report.tenants_replaced, report.stale_files = replaced, stale_files
    report.expiry_runs = builder.expiry_runs
    return report


def _report(today: datetime, tenant_ids: list[int]) -> DemoReport:
    def count(model, *conditions) -> int:
        return (
            db.session.scalar(
                sa.select(sa.func.count(model.id)).where(
                    model.tenant_id.in_(tenant_ids), *conditions
                )
            )
            or 0
        )

    soon = current_app.config["CERT_EXPIRING_SOON_DAYS"]
    by_status: dict[str, int] = {}
    for certificate in db.session.scalars(
        sa.select(Certificate).where(Certificate.tenant_id.in_(tenant_ids))
    ):
        status = certs.display_status(certificate, today, soon)
        by_status[status] = by_status.get(status, 0) + 1
    reviews = sum(
        peer_validation.queue_count(mentor)
        for mentor in db.session.scalars(
            sa.select(User).where(User.tenant_id.in_(tenant_ids), User.role == Role.MENTOR)
        )
    )
    return DemoReport(
        today=today,
        tenants=len(tenant_ids),
        users=count(User),
        programmes=count(CertificationPath),
        certificates=by_status,
        renewed_certificates=count(Certificate, Certificate.renews_certificate_id.is_not(None)),
        open_enrolments=count(Enrolment, Enrolment.status.in_(OPEN_ENROLMENT_STATUSES)),
        reviews_waiting=reviews,
        regrade_batches=count(RegradeBatch),
        notifications=count(Notification),
        emails=count(OutboxEmail),
    )
