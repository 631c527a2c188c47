"""Reports: certificates expiring per programme and org unit, holders and their renewals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    Enrolment,
    OrgUnit,
    ProgressStatus,
    RequirementProgress,
)


@dataclass(frozen=True)
class ExpiringGroup:
    programme: str
    org_unit: str | None
    within_30: int
    within_60: int
    within_90: int


@dataclass(frozen=True)
class HolderRenewal:
    certificate: Certificate
    holder: str
    org_unit: str | None
    renewal_status: str  # "not opened" / in_progress / completed / certified
    renewal_met: int
    renewal_total: int


def expiring_groups(tenant_id: int, as_of: datetime) -> list[ExpiringGroup]:
    """Active certificates expiring in the next 30/60/90 days, per programme and org unit."""
    certs = Certificate.__table__
    horizon = {d: as_of + timedelta(days=d) for d in (30, 60, 90)}

    def within(days: int):
        return sa.func.sum(sa.case((certs.c.expires_at <= horizon[days], 1), else_=0))

    rows = db.session.execute(
        sa.select(CertificationPath.name, OrgUnit.name, within(30), within(60), within(90))
        .select_from(certs)
        .join(CertificationPath, CertificationPath.id == certs.c.path_id)
        .outerjoin(OrgUnit, OrgUnit.id == certs.c.org_unit_id)
        .where(
            certs.c.tenant_id == tenant_id,
            certs.c.status == CertificateStatus.ACTIVE.value,
            certs.c.expires_at > as_of,
            certs.c.expires_at <= horizon[90],
        )
        .group_by(CertificationPath.name, OrgUnit.name)
        .order_by(CertificationPath.name, OrgUnit.name)
    ).all()
    return [ExpiringGroup(p, u, int(a or 0), int(b or 0), int(c or 0)) for p, u, a, b, c in rows]


def holder_renewals(
    tenant_id: int, as_of: datetime, days: int, *, page: int = 1, per_page: int = 50
) -> tuple[list[HolderRenewal], int]:
    """Holders whose certificate expires within `days` (or has expired in the last `days`),
    with the state of their renewal enrolment; a constant number of queries."""
    condition = sa.and_(
        Certificate.tenant_id == tenant_id,
        Certificate.status.in_([CertificateStatus.ACTIVE, CertificateStatus.EXPIRED]),
        Certificate.expires_at.is_not(None),
        Certificate.expires_at <= as_of + timedelta(days=days),
        Certificate.expires_at > as_of - timedelta(days=days),
    )
    total = db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(condition)) or 0
    certificates = db.session.scalars(
        sa.select(Certificate)
        .where(condition)
        .options(joinedload(Certificate.user), joinedload(Certificate.programme))
        .order_by(Certificate.expires_at, Certificate.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    enrolment_ids = [c.enrolment_id for c in certificates]
    renewals = {
        e.renewal_of_enrolment_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id.in_(enrolment_ids or [-1]))
        )
    }
    counts = {
        row.enrolment_id: (int(row.met or 0), int(row.total or 0))
        for row in db.session.execute(
            sa.select(
                RequirementProgress.enrolment_id,
                sa.func.sum(
                    sa.case((RequirementProgress.status == ProgressStatus.MET, 1), else_=0)
                ).label("met"),
                sa.func.count(RequirementProgress.id).label("total"),
            )
            .where(
                RequirementProgress.enrolment_id.in_([e.id for e in renewals.values()] or [-1]),
                RequirementProgress.is_mandatory.is_(True),
            )
            .group_by(RequirementProgress.enrolment_id)
        )
    }
    units = dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.name).where(OrgUnit.tenant_id == tenant_id)
        ).all()
    )
    result = []
    for certificate in certificates:
        renewal = renewals.get(certificate.enrolment_id)
        met, total = counts.get(renewal.id, (0, 0)) if renewal else (0, 0)
        result.append(
            HolderRenewal(
                certificate=certificate,
                holder=certificate.user.full_name,
                org_unit=units.get(certificate.org_unit_id),
                renewal_status=renewal.status.value if renewal else "not opened",
                renewal_met=met,
                renewal_total=total,
            )
        )
    return result, total
