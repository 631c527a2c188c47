"""Who may see and enrol: org unit scope (on the tree of `services.org_units`), active
certificates and the renewal-window rule (and the window a new programme starts with),
prerequisites, and why a learner may not enrol themselves.

Reads only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    PathStatus,
    Tenant,
    User,
)
from webapp.services.org_units import unit_scope


def visible_to(user: User):
    """SQL condition: programmes of the user's tenant within their org unit scope."""
    condition = CertificationPath.tenant_id == user.tenant_id
    if user.is_admin:
        return condition
    scope = unit_scope(user)
    return sa.and_(
        condition,
        sa.or_(
            CertificationPath.org_unit_id.is_(None),
            CertificationPath.org_unit_id.in_(scope or {-1}),
        ),
    )


def certified_path_ids(user: User) -> set[int]:
    """Programmes of which the user holds a certificate that is active now (one past its
    validity counts as expired even before the daily job has marked it; a grace period
    counts as valid)."""
    return set(
        db.session.scalars(
            sa.select(Certificate.path_id).where(
                Certificate.tenant_id == user.tenant_id,
                Certificate.user_id == user.id,
                Certificate.status == CertificateStatus.ACTIVE,
                sa.or_(Certificate.expires_at.is_(None), Certificate.valid_until > clock.now()),
            )
        )
    )


def active_certificate(user: User, programme: CertificationPath) -> Certificate | None:
    """The user's certificate of `programme` that is active now (not past its validity, grace
    period included), if any."""
    now = clock.now()
    return db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.tenant_id == user.tenant_id,
            Certificate.user_id == user.id,
            Certificate.path_id == programme.id,
            Certificate.status == CertificateStatus.ACTIVE,
            sa.or_(Certificate.expires_at.is_(None), Certificate.valid_until > now),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def renewal_opens_at(certificate: Certificate, programme: CertificationPath) -> datetime | None:
    """When the renewal window of an active certificate opens (None: it never expires)."""
    if certificate.expires_at is None:
        return None
    return certificate.expires_at - timedelta(days=programme.renewal_window_days)


def default_renewal_window(tenant_id: int) -> int:
    """The renewal window a new programme of the tenant starts with: the tenant's setting, or
    the installation's RENEWAL_WINDOW_DAYS."""
    window = db.session.scalar(sa.select(Tenant.renewal_window_days).where(Tenant.id == tenant_id))
    return current_app.config["RENEWAL_WINDOW_DAYS"] if window is None else window


def certified_blocker(certificate: Certificate, programme: CertificationPath) -> str | None:
    """Why an active certificate stops a new enrolment now, as the object of "holds" (None
    inside its renewal window, where the new enrolment is its renewal)."""
    opens = renewal_opens_at(certificate, programme)
    if opens is None:
        return f"an active certificate of this programme ({certificate.number}), never expiring."
    if opens <= clock.now():
        return None
    return (
        f"an active certificate of this programme ({certificate.number}, valid until "
        f"{certificate.expires_at:%d %b %Y}); renewal opens on {opens:%d %b %Y}."
    )


def missing_prerequisites(
    user: User, programme: CertificationPath, certified: set[int] | None = None
) -> list[CertificationPath]:
    """The prerequisite programmes of which `user` holds no active certificate."""
    certified = certified_path_ids(user) if certified is None else certified
    return [p for p in programme.prerequisites if p.id not in certified]


def enrolment_blockers(
    user: User, programme: CertificationPath, certified: set[int] | None = None
) -> list[str]:
    """Why `user` may not enrol themselves in `programme` (empty when they may)."""
    if programme.status is not PathStatus.PUBLISHED:
        return ["This programme is not open for enrolment."]
    blockers = []
    if not programme.self_enrolment:
        blockers.append("Enrolment in this programme is arranged by your administrator.")
    certified = certified_path_ids(user) if certified is None else certified
    if programme.id in certified:
        certificate = active_certificate(user, programme)
        blocker = certified_blocker(certificate, programme) if certificate is not None else None
        if blocker is not None:
            blockers.append(f"You already hold {blocker}")
    missing = [p.name for p in missing_prerequisites(user, programme, certified)]
    if missing:
        blockers.append(f"It requires an active certificate of: {', '.join(missing)}.")
    return blockers


def renewable_certificate(user: User, programme: CertificationPath) -> Certificate | None:
    """The user's active certificate of `programme` whose renewal window is open now (enrolling
    then renews it)."""
    certificate = active_certificate(user, programme)
    if certificate is None or certified_blocker(certificate, programme) is not None:
        return None
    return certificate
