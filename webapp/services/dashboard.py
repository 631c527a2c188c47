"""Read models for the learner dashboard, computed from the progress ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    ProgressStatus,
    RequirementProgress,
    User,
)


@dataclass(frozen=True)
class EnrolmentSummary:
    enrolment: Enrolment
    met: int
    total: int
    next_step: str | None
    renews_expiry: datetime | None = None
    certificate: Certificate | None = None

    @property
    def percent(self) -> int:
        return int(100 * self.met / self.total) if self.total else 0


def enrolment_summaries(user: User) -> list[EnrolmentSummary]:
    """The user's enrolments with "n of m mandatory requirements met" from the ledger, the
    next step (first pending requirement in order) and the certificate issued for it. Four
    queries whatever the count."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.tenant_id == user.tenant_id,
            Enrolment.user_id == user.id,
            Enrolment.status != EnrolmentStatus.CANCELLED,
        )
        .options(joinedload(Enrolment.programme))
        .order_by(Enrolment.started_at.desc(), Enrolment.id.desc())
    ).all()
    if not enrolments:
        return []
    ids = [e.id for e in enrolments]
    rows = db.session.execute(
        sa.select(
            RequirementProgress.enrolment_id,
            RequirementProgress.requirement_id,
            RequirementProgress.status,
            RequirementProgress.is_mandatory,
        )
        .where(RequirementProgress.enrolment_id.in_(ids))
        .order_by(RequirementProgress.enrolment_id, RequirementProgress.sort_order)
    ).all()
    renewal_expiry = _renewed_certificate_expiry(user, enrolments)
    issued = {
        c.enrolment_id: c
        for c in db.session.scalars(
            sa.select(Certificate).where(
                Certificate.tenant_id == user.tenant_id, Certificate.enrolment_id.in_(ids)
            )
        )
    }
    rows_of: dict[int, list] = {}
    for row in rows:
        rows_of.setdefault(row.enrolment_id, []).append(row)
    summaries = []
    for enrolment in enrolments:
        mine = rows_of.get(enrolment.id, [])
        mandatory = [r for r in mine if r.is_mandatory]
        titles = {
            str(r["requirement_id"]): r["title"]
            for r in enrolment.program_snapshot.get("requirements", [])
        }
        next_row = next((r for r in mine if r.status is not ProgressStatus.MET), None)
        summaries.append(
            EnrolmentSummary(
                enrolment=enrolment,
                met=sum(1 for r in mandatory if r.status is ProgressStatus.MET),
                total=len(mandatory),
                next_step=titles.get(str(next_row.requirement_id)) if next_row else None,
                renews_expiry=renewal_expiry.get(enrolment.renewal_of_enrolment_id),
                certificate=issued.get(enrolment.id),
            )
        )
    return summaries


def _renewed_certificate_expiry(user: User, enrolments: list[Enrolment]) -> dict[int, datetime]:
    previous = [e.renewal_of_enrolment_id for e in enrolments if e.renewal_of_enrolment_id]
    if not previous:
        return {}
    rows = db.session.execute(
        sa.select(Certificate.enrolment_id, Certificate.valid_until.label("until")).where(
            Certificate.tenant_id == user.tenant_id, Certificate.enrolment_id.in_(previous)
        )
    ).all()
    return {r.enrolment_id: r.until for r in rows if r.until}


def expiring_certificates(user: User, now: datetime, within_days: int) -> list[Certificate]:
    """The user's active certificates whose validity (grace period included) ends within
    `within_days`."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(
                Certificate.tenant_id == user.tenant_id,
                Certificate.user_id == user.id,
                Certificate.status == CertificateStatus.ACTIVE,
                Certificate.expires_at.is_not(None),
                Certificate.valid_until <= now + timedelta(days=within_days),
            )
            .options(joinedload(Certificate.programme))
            .order_by(Certificate.valid_until)
        )
    )
