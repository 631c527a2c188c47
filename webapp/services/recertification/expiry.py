"""Expiry: active certificates past their effective validity (`expires_at`, or the end of
their grace period), and their certified enrolments."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Certificate, CertificateStatus, EnrolmentStatus
from webapp.services import audit
from webapp.services.recertification.batches import (
    BY_EXPIRY,
    CERTS,
    ENROLMENTS,
    ExpiryReport,
    _batched,
    _batched_by_validity,
    running_grace,
)


def expire_certificates(as_of: datetime, report: ExpiryReport) -> None:
    """Active certificates whose effective validity has passed (at the exact instant
    included) become expired, and so do their certified enrolments, batch by batch; one inside
    a grace period is left alone until it ends (expired_at: when it ended). A catch-up pass
    over the last 30 days expires enrolments whose certificate expired without them."""
    active = [CERTS.c.status == CertificateStatus.ACTIVE.value, report.scope()]

    def expire(ids: list[int]) -> int:
        # Set-based on purpose: the daily run expires certificates and their enrolments batch
        # by batch without loading them; `WHERE status = 'active'` makes a rerun a no-op, and
        # a grace period granted meanwhile keeps its certificate out.
        # (So there are no Certificate.expire / Enrolment.expire model methods.)
        expired = db.session.execute(
            sa.update(CERTS)
            .where(
                CERTS.c.id.in_(ids),
                CERTS.c.status == CertificateStatus.ACTIVE.value,
                ~running_grace(as_of),
            )
            .values(status=CertificateStatus.EXPIRED.value, expired_at=Certificate.valid_until)
            .returning(CERTS.c.id, CERTS.c.tenant_id, CERTS.c.user_id, CERTS.c.enrolment_id)
        ).all()
        audit.record_system_events(
            "certificate.expired",
            "certificate",
            [(row.tenant_id, row.id, row.user_id) for row in expired],
            "Certificate expired (daily run)",
            as_of,
        )
        report.enrolments_expired += _expire_enrolments([row.enrolment_id for row in expired])
        return len(expired)

    report.certificates_expired += _batched_by_validity(
        active, None, as_of, expire, report, "certificate"
    )

    lagging = (
        sa.select(*BY_EXPIRY)
        .join(ENROLMENTS, ENROLMENTS.c.id == CERTS.c.enrolment_id)
        .where(
            CERTS.c.status == CertificateStatus.EXPIRED.value,
            CERTS.c.expires_at > as_of - timedelta(days=30),
            CERTS.c.expires_at <= as_of,
            ENROLMENTS.c.status == EnrolmentStatus.CERTIFIED.value,
            report.scope(),
        )
    )

    def catch_up(ids: list[int]) -> int:
        enrolment_ids = db.session.scalars(
            sa.select(CERTS.c.enrolment_id).where(CERTS.c.id.in_(ids))
        ).all()
        return _expire_enrolments(list(enrolment_ids))

    report.enrolments_expired += _batched(lagging, BY_EXPIRY, catch_up, report, "certificate")


def _expire_enrolments(enrolment_ids: list[int]) -> int:
    if not enrolment_ids:
        return 0
    # Set-based on purpose (see `expire` above): only still certified enrolments change.
    result = db.session.execute(
        sa.update(ENROLMENTS)
        .where(
            ENROLMENTS.c.id.in_(enrolment_ids),
            ENROLMENTS.c.status == EnrolmentStatus.CERTIFIED.value,
        )
        .values(status=EnrolmentStatus.EXPIRED.value)
    )
    return result.rowcount or 0
