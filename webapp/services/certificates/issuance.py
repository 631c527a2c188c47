"""Issuance: the certificate of a completed enrolment (numbered, its facts frozen, announced),
issued by the orchestration completion hook in the same transaction as the completion.

Raises Conflict when the enrolment is not completed. Flushes, never commits.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webapp import clock
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    PdfStatus,
    Tenant,
    User,
)
from webapp.outbox import defer
from webapp.services import audit, notifications, orchestration, skills_portfolio
from webapp.services.certificates.numbering import (
    format_number,
    new_public_token,
    next_serial,
    number_prefix,
)
from webapp.urls import public_url


def certificate_of(enrolment_id: int) -> Certificate | None:
    """The certificate issued for an enrolment, if any."""
    return db.session.scalar(sa.select(Certificate).where(Certificate.enrolment_id == enrolment_id))


def issue_certificate(enrolment: Enrolment) -> Certificate:
    """Issue the certificate of a completed enrolment: next number of the year, random public
    token, expiry from the snapshot's validity, holder/programme/level/version/skills/badge and
    the issuer's name, logo and signatory frozen in `meta`; a renewal links the certificate it
    renews; the enrolment becomes certified; audit event, notification (and e-mail), portfolio
    item, and the PDF job deferred until after the commit. Idempotent: a certificate that
    exists is returned as is (the unique enrolment_id decides under races). Raises Conflict
    when the enrolment is not completed. Flushes, never commits."""
    existing = certificate_of(enrolment.id)
    if existing is not None:
        return existing
    if enrolment.status is not EnrolmentStatus.COMPLETED:
        raise Conflict("Only a completed enrolment can be certified.")
    now = clock.now()
    snapshot = enrolment.program_snapshot or {}
    validity = snapshot.get("validity_days")
    expires_at = now + timedelta(days=validity) if validity else None
    programme, holder = enrolment.programme, enrolment.user
    tenant = db.session.get(Tenant, enrolment.tenant_id)
    renewed = (
        certificate_of(enrolment.renewal_of_enrolment_id)
        if enrolment.renewal_of_enrolment_id
        else None
    )
    try:
        with db.session.begin_nested():
            serial = next_serial(enrolment.tenant_id, now.year)
            certificate = Certificate(
                tenant_id=enrolment.tenant_id,
                org_unit_id=enrolment.org_unit_id,
                enrolment_id=enrolment.id,
                user_id=enrolment.user_id,
                path_id=enrolment.path_id,
                path_version=enrolment.path_version,
                number=format_number(number_prefix(tenant), now.year, serial),
                status=CertificateStatus.ACTIVE,
                issued_at=now,
                expires_at=expires_at,
                public_token=new_public_token(),
                renews_certificate_id=renewed.id if renewed else None,
                pdf_status=PdfStatus.PENDING,
                meta={
                    "holder_name": holder.full_name,
                    "programme_name": snapshot.get("name", programme.name),
                    "programme_slug": programme.slug,
                    "level": snapshot.get("level", programme.level.value),
                    "version": enrolment.path_version,
                    "skills": [skill.name for skill in programme.skills],
                    "badge_key": programme.badge_image_key,
                    "issuer_name": tenant.name if tenant else "",
                    "issuer_logo_key": tenant.logo_key if tenant else None,
                    "signatory_name": tenant.signatory_name if tenant else None,
                    "signatory_title": tenant.signatory_title if tenant else None,
                    "serial": serial,
                },
            )
            db.session.add(certificate)
    except sa.exc.IntegrityError:
        existing = certificate_of(enrolment.id)
        if existing is None:
            raise
        return existing
    enrolment.certify(now, expires_at)
    _announce_issuance(certificate, holder)
    skills_portfolio.add_certificate(certificate)
    db.session.flush()
    return certificate


def _announce_issuance(certificate: Certificate, holder: User) -> None:
    programme = certificate.meta["programme_name"]
    audit.record(
        certificate.tenant_id,
        None,
        "certificate.issued",
        "certificate",
        certificate.id,
        f"{certificate.number} issued to {holder.full_name} for {programme}",
        subject=holder,
        number=certificate.number,
        enrolment_id=certificate.enrolment_id,
    )
    notifications.notify(
        holder,
        "certificate_issued",
        f"Certificate issued: {programme}",
        f"Congratulations! Your certificate {certificate.number} for {programme} has been "
        "issued. Download the PDF and share the verification link from My Certificates.",
        public_url("certificates.my_certificates"),
        dedupe_key=f"cert-{certificate.id}-issued",
    )
    defer("render_certificate_pdf", certificate.id, queue="pdf", tenant_id=certificate.tenant_id)


@orchestration.on_completion
def issue_on_completion(enrolment: Enrolment) -> None:
    """Completion hook: the enrolment just completed, issue its certificate now."""
    issue_certificate(enrolment)
