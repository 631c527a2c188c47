"""Figures for the admin home page."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    EvidenceSubmission,
    SubmissionStatus,
    User,
)


def tenant_figures(tenant_id: int) -> dict[str, int]:
    """Counts of the tenant's users, programmes, open enrolments, certificates and reviews."""

    def count(model, *conditions) -> int:
        return (
            db.session.scalar(
                sa.select(sa.func.count(model.id)).where(model.tenant_id == tenant_id, *conditions)
            )
            or 0
        )

    return {
        "users": count(User),
        "programmes": count(CertificationPath),
        "open_enrolments": count(Enrolment, Enrolment.status == EnrolmentStatus.IN_PROGRESS),
        "active_certificates": count(Certificate, Certificate.status == CertificateStatus.ACTIVE),
        "pending_reviews": count(
            EvidenceSubmission, EvidenceSubmission.status == SubmissionStatus.PENDING
        ),
    }
