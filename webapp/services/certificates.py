"""Certificates: issuance on completion, numbering, the PDF's storage, verification records,
revocation and the admin list.

Issuance runs as an orchestration completion hook, so completing the last mandatory
requirement issues the certificate in the same transaction. Functions flush, never commit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from webapp import clock, sqltools, urls
from webapp.errors import Conflict, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateCounter,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    PdfStatus,
    Tenant,
    User,
)
from webapp.outbox import defer
from webapp.services import audit, notifications, orchestration, skills_portfolio
from webapp.services.certificate_pdf import CertificateDocument, render
from webapp.storage import get_storage
from webapp.urls import public_url

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
VERIFY_STATUS = {
    CertificateStatus.ACTIVE: "valid",
    CertificateStatus.EXPIRED: "expired",
    CertificateStatus.REVOKED: "revoked",
}
FILTER_STATUSES = ("active", "expired", "revoked")
MAX_REASON = 1000


# --- Numbers, tokens, URLs ------------------------------------------------------------------


def next_serial(tenant_id: int, year: int) -> int:
    """Take the tenant's next number of `year` with one atomic upsert (insert 1, or increment
    and return). Each tenant is an issuer with its own sequence. The counter row stays locked
    until the transaction ends, so concurrent issuers of the tenant queue behind it: no
    duplicates, and a rolled-back transaction takes its increment with it (no gaps). Flushes
    (executes), never commits."""
    table = CertificateCounter.__table__
    statement = (
        sqltools.insert(table)
        .values(tenant_id=tenant_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id, table.c.year],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(table.c.last_number)
    )
    return int(db.session.execute(statement).scalar_one())


PREFIX_RE = re.compile(r"^[A-Z0-9]{1,16}$")


def number_prefix(tenant: Tenant | None) -> str:
    """The tenant's own prefix, else CERT_NUMBER_PREFIX."""
    if tenant is not None and tenant.certificate_prefix:
        return tenant.certificate_prefix
    return current_app.config.get("CERT_NUMBER_PREFIX", "CERT")


def format_number(prefix: str, year: int, serial: int) -> str:
    """`CERT-2026-00042`."""
    return f"{prefix}-{year}-{serial:05d}"


def new_public_token() -> str:
    """192 random bits from the OS CSPRNG, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def verification_url(certificate: Certificate) -> str:
    """The absolute public verification link (printed as the PDF's QR code)."""
    return public_url("certificates.verify", token=certificate.public_token)


def linkedin_url(certificate: Certificate, organisation: str) -> str:
    """LinkedIn's "add licence or certification to profile" link, prefilled."""
    meta = certificate.meta or {}
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": meta.get("programme_name", ""),
        "organizationName": organisation,
        "issueYear": certificate.issued_at.year,
        "issueMonth": certificate.issued_at.month,
    }
    if certificate.expires_at is not None:
        params["expirationYear"] = certificate.expires_at.year
        params["expirationMonth"] = certificate.expires_at.month
    params["certUrl"] = verification_url(certificate)
    params["certId"] = certificate.number
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


# --- Issuance -------------------------------------------------------------------------------


def certificate_of(enrolment_id: int) -> Certificate | None:
    """The certificate issued for an enrolment, if any."""
    return db.session.scalar(sa.select(Certificate).where(Certificate.enrolment_id == enrolment_id))


def issue_certificate(enrolment: Enrolment) -> Certificate:
    """Issue the certificate of a completed enrolment: next number of the year, random public
    token, expiry from the snapshot's validity, holder/programme/level/version/skills/badge
    frozen in `meta`; a renewal links the certificate it renews; the enrolment becomes
    certified; audit event, notification (and e-mail), portfolio item, and the PDF job
    deferred until after the commit. Idempotent: a certificate that exists is returned as is
    (the unique enrolment_id decides under races). Raises Conflict when the enrolment is not
    completed. Flushes, never commits."""
    existing = certificate_of(enrolment.id)
    if existing is not None:
        return existing
    if enrolment.status is not EnrolmentStatus.COMPLETED:
        raise Conflict("Only a completed enrolment can be certified.")
    now = clock.now()
    snapshot = enrolment.program_snapshot or {}
    validity = snapshot.get("validity_days")
    expires_at = now + timedelta(days=validity) if validity else None
    path, holder = enrolment.path, enrolment.user
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
                    "programme_name": snapshot.get("name", path.name),
                    "programme_slug": path.slug,
                    "level": snapshot.get("level", path.level.value),
                    "version": enrolment.path_version,
                    "skills": [skill.name for skill in path.skills],
                    "badge_key": path.badge_image_key,
                    "issuer_name": tenant.name if tenant else "",
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


# --- The PDF --------------------------------------------------------------------------------


def pdf_storage_key(certificate: Certificate) -> str:
    """One fixed storage key per certificate, so concurrent renders write the same file."""
    digest = hashlib.sha256(
        f"certificate-pdf:{certificate.id}:{certificate.public_token}".encode()
    ).hexdigest()
    return f"certificates/{digest[:2]}/{digest[:32]}.pdf"


def certificate_document(certificate: Certificate) -> CertificateDocument:
    """The values printed on the PDF (all frozen at issuance; the badge read from storage)."""
    meta = certificate.meta or {}
    storage = get_storage()
    badge_key = meta.get("badge_key")
    badge = storage.read(badge_key) if badge_key and storage.exists(badge_key) else None
    return CertificateDocument(
        holder_name=meta.get("holder_name", ""),
        programme_name=meta.get("programme_name", ""),
        level=meta.get("level", ""),
        version=certificate.path_version,
        number=certificate.number,
        issued_on=certificate.issued_at.date(),
        expires_on=certificate.expires_at.date() if certificate.expires_at else None,
        issuer_name=meta.get("issuer_name", ""),
        verification_url=verification_url(certificate),
        skills=tuple(meta.get("skills") or ()),
        badge=badge,
    )


def store_certificate_pdf(certificate_id: int) -> bool:
    """Render and store the PDF unless it is already ready and stored; the pending -> ready
    transition is a conditional UPDATE, so it happens once even when two workers render at
    the same moment (both write the same key with the same bytes). Returns whether this call
    made it ready. Raises whatever rendering or storage raise. Flushes, never commits."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return False
    storage = get_storage()
    if certificate.pdf_status is PdfStatus.READY and storage.exists(certificate.pdf_key or ""):
        return False
    data = render(certificate_document(certificate))
    key = pdf_storage_key(certificate)
    storage.save(key, data)
    result = db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.pdf_status != PdfStatus.READY)
        .values(
            pdf_status=PdfStatus.READY,
            pdf_key=key,
            pdf_error=None,
            pdf_rendered_at=clock.now(),
            pdf_base_url=urls.public_base_url(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(certificate)
    return result.rowcount == 1


def record_pdf_failure(certificate_id: int, error: str) -> None:
    """Mark a PDF that is not ready as failed, with the error admins see. Never commits."""
    db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.pdf_status != PdfStatus.READY)
        .values(pdf_status=PdfStatus.FAILED, pdf_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


def request_pdf_render(certificate: Certificate, actor: User) -> None:
    """An admin asks for the PDF to be rendered again (after a failure or a badge change): back
    to pending and a new job after the commit. Flushes, never commits."""
    certificate.pdf_status = PdfStatus.PENDING
    certificate.pdf_error = None
    audit.record(
        certificate.tenant_id,
        actor,
        "certificate.pdf_rerender",
        "certificate",
        certificate.id,
        f"PDF of {certificate.number} rendered again",
    )
    db.session.flush()
    defer("render_certificate_pdf", certificate.id, queue="pdf", tenant_id=certificate.tenant_id)


def _stale_pdfs(tenant_id: int) -> sa.ColumnElement[bool]:
    """Stored PDFs of the tenant whose QR code and link point at another base URL."""
    return sa.and_(
        Certificate.tenant_id == tenant_id,
        Certificate.pdf_status == PdfStatus.READY,
        sa.or_(
            Certificate.pdf_base_url.is_(None),
            Certificate.pdf_base_url != urls.public_base_url(),
        ),
    )


def stale_pdf_count(tenant_id: int) -> int:
    """How many stored PDFs of the tenant link to another address than today's. Reads only."""
    return db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(_stale_pdfs(tenant_id)))


def request_stale_pdf_renders(tenant_id: int, actor: User) -> int:
    """Send every stored PDF of the tenant whose links point at another address back to
    pending (one set-based UPDATE) and defer one job that renders the pending PDFs of the
    tenant batch by batch. Returns how many. Flushes, never commits."""
    count = db.session.execute(
        sa.update(Certificate)
        .where(_stale_pdfs(tenant_id))
        .values(pdf_status=PdfStatus.PENDING, pdf_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if count:
        audit.record(
            tenant_id,
            actor,
            "certificate.pdf_rerender_bulk",
            "tenant",
            tenant_id,
            f"{count} PDFs rendered again with links to {urls.public_base_url()}",
            count=count,
        )
        defer("render_pending_certificate_pdfs", tenant_id, queue="pdf", tenant_id=tenant_id)
    db.session.flush()
    return count


def pending_pdf_ids(tenant_id: int, limit: int) -> list[int]:
    """The next `limit` certificates of the tenant whose PDF is pending, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Certificate.id)
            .where(Certificate.tenant_id == tenant_id, Certificate.pdf_status == PdfStatus.PENDING)
            .order_by(Certificate.id)
            .limit(limit)
        )
    )


def stored_pdf(certificate: Certificate) -> Path | None:
    """The stored PDF file when it is ready, else None."""
    storage = get_storage()
    if certificate.pdf_status is not PdfStatus.READY or not storage.exists(
        certificate.pdf_key or ""
    ):
        return None
    return storage.path(certificate.pdf_key)


# --- Revocation -----------------------------------------------------------------------------


def revoke_certificate(certificate: Certificate, actor: User, reason: str) -> None:
    """Revoke: status revoked with date, reason and actor (nothing is deleted); audit event;
    the holder is notified. Raises ValidationFailed (no reason), InvalidTransition (already
    revoked). Flushes, never commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Give the reason for the revocation.", {"reason": ["Give the reason."]}
        )
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", {"reason": [f"At most {MAX_REASON} characters."]}
        )
    db.session.refresh(certificate, with_for_update=True)
    now = clock.now()
    certificate.revoke(now, reason, actor.id)
    programme = (certificate.meta or {}).get("programme_name", "")
    audit.record(
        certificate.tenant_id,
        actor,
        "certificate.revoked",
        "certificate",
        certificate.id,
        f"{certificate.number} revoked: {reason}",
        number=certificate.number,
        reason=reason,
    )
    notifications.notify(
        certificate.user,
        "certificate_revoked",
        f"Certificate revoked: {programme}",
        f"Your certificate {certificate.number} for {programme} was revoked on "
        f"{now:%d %b %Y}. Reason: {reason}",
        public_url("certificates.my_certificates"),
        dedupe_key=f"cert-{certificate.id}-revoked",
    )
    db.session.flush()


# --- Reading --------------------------------------------------------------------------------


def display_status(certificate: Certificate, now: datetime, soon_days: int) -> str:
    """active / expiring (within `soon_days`) / expired / revoked, as of `now`."""
    status = certificate.status_at(now)
    if (
        status is CertificateStatus.ACTIVE
        and certificate.expires_at is not None
        and certificate.expires_at <= now + timedelta(days=soon_days)
    ):
        return "expiring"
    return status.value


@dataclass(frozen=True)
class HeldCertificate:
    """One row of My Certificates."""

    certificate: Certificate
    status: str
    verification_url: str
    linkedin_url: str

    @property
    def pdf_pending(self) -> bool:
        return self.certificate.pdf_status is PdfStatus.PENDING

    @property
    def pdf_failed(self) -> bool:
        return self.certificate.pdf_status is PdfStatus.FAILED


def held_certificates(user: User, now: datetime, soon_days: int) -> list[HeldCertificate]:
    """The user's certificates, newest first, with their status as of `now`. One query."""
    rows = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.tenant_id == user.tenant_id, Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    organisation = user.tenant.name
    return [
        HeldCertificate(
            certificate=c,
            status=display_status(c, now, soon_days),
            verification_url=verification_url(c),
            linkedin_url=linkedin_url(c, organisation),
        )
        for c in rows
    ]


def find_by_token(token: str) -> Certificate | None:
    """The certificate with this public token; None for unknown or malformed tokens."""
    if not TOKEN_RE.match(token or ""):
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.public_token == token))


def verification_record(certificate: Certificate, now: datetime) -> dict[str, Any]:
    """Exactly what the public verification page shows: programme and version, holder display
    name (per the tenant's privacy setting), issuer, number, dates, status. No e-mail, no ids."""
    tenant = db.session.get(Tenant, certificate.tenant_id)
    status = certificate.status_at(now)
    meta = certificate.meta or {}
    record = {
        "programme": meta.get("programme_name", ""),
        "version": certificate.path_version,
        "holder": certificate.holder_display_name(tenant.holder_name_display),
        "issuer": tenant.name,
        "number": certificate.number,
        "issued_on": certificate.issued_at.date().isoformat(),
        "expires_on": certificate.expires_at.date().isoformat() if certificate.expires_at else None,
        "status": VERIFY_STATUS[status],
        "revoked_on": certificate.revoked_at.date().isoformat()
        if status is CertificateStatus.REVOKED and certificate.revoked_at
        else None,
    }
    # The recertification chain (only when there is one): the certificate this one renews,
    # and its successor.
    chain = {
        "renews": _chain_link(
            db.session.get(Certificate, certificate.renews_certificate_id)
            if certificate.renews_certificate_id
            else None
        ),
        "renewed_by": _chain_link(
            db.session.scalar(
                sa.select(Certificate)
                .where(Certificate.renews_certificate_id == certificate.id)
                .order_by(Certificate.issued_at.desc())
                .limit(1)
            )
        ),
    }
    return record | {key: link for key, link in chain.items() if link}


def _chain_link(certificate: Certificate | None) -> dict[str, str] | None:
    if certificate is None:
        return None
    return {"number": certificate.number, "url": verification_url(certificate)}


# --- Administration -------------------------------------------------------------------------


def admin_query(
    tenant_id: int,
    now: datetime,
    *,
    path_id: int | None = None,
    status: str | None = None,
    expiring_within: int | None = None,
) -> sa.Select[tuple[Certificate]]:
    """The tenant's certificates (holder loaded in the same query), newest first, filtered by
    programme, status as of `now` (active / expired / revoked) and expiry within N days."""
    statement = (
        sa.select(Certificate)
        .where(Certificate.tenant_id == tenant_id)
        .options(joinedload(Certificate.user))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    lapsed = sa.and_(
        Certificate.status == CertificateStatus.ACTIVE,
        Certificate.expires_at.is_not(None),
        Certificate.expires_at <= now,
    )
    if path_id:
        statement = statement.where(Certificate.path_id == path_id)
    if status == "active":
        statement = statement.where(Certificate.status == CertificateStatus.ACTIVE, ~lapsed)
    elif status == "expired":
        statement = statement.where(sa.or_(Certificate.status == CertificateStatus.EXPIRED, lapsed))
    elif status == "revoked":
        statement = statement.where(Certificate.status == CertificateStatus.REVOKED)
    if expiring_within:
        statement = statement.where(
            Certificate.status == CertificateStatus.ACTIVE,
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=expiring_within),
        )
    return statement


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "number",
    "holder",
    "email",
    "programme",
    "version",
    "status",
    "issued",
    "expires",
    "revoked",
    "revocation reason",
)


def csv_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (prefixed with ')."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_csv(certificates: Iterable[Certificate], now: datetime) -> str:
    """The certificates as CSV text, every cell formula-injection-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for c in certificates:
        meta = c.meta or {}
        writer.writerow(
            csv_cell(value)
            for value in (
                c.number,
                meta.get("holder_name") or c.user.full_name,
                c.user.email,
                meta.get("programme_name", ""),
                c.path_version,
                c.status_at(now).value,
                c.issued_at.date().isoformat(),
                c.expires_at.date().isoformat() if c.expires_at else "",
                c.revoked_at.date().isoformat() if c.revoked_at else "",
                c.revoked_reason or "",
            )
        )
    return buffer.getvalue()
