"""The read side: a certificate's status as shown, My Certificates, the public verification
record with its recertification chain, the admin list with its filters, and the CSV export.
Every status and date here is the effective validity (`Certificate.valid_until`: the expiry,
or the end of a grace period).

Reads only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import Certificate, CertificateStatus, PdfStatus, Tenant, User
from webapp.services.certificates.numbering import TOKEN_RE, linkedin_url, verification_url

VERIFY_STATUS = {
    CertificateStatus.ACTIVE: "valid",
    CertificateStatus.EXPIRED: "expired",
    CertificateStatus.REVOKED: "revoked",
}
FILTER_STATUSES = ("active", "expired", "revoked")


def display_status(certificate: Certificate, now: datetime, soon_days: int) -> str:
    """active / expiring (its validity, grace period included, ends within `soon_days`) /
    expired / revoked, as of `now`."""
    status = certificate.status_at(now)
    if (
        status is CertificateStatus.ACTIVE
        and certificate.valid_until is not None
        and certificate.valid_until <= now + timedelta(days=soon_days)
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
    grace_until: datetime | None = None

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
            grace_until=c.grace_until_at(now),
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
    name (per the tenant's privacy setting), issuer, number, dates, status, and the end of the
    grace period that keeps it valid, if any. No e-mail, no ids, no reasons."""
    tenant = db.session.get(Tenant, certificate.tenant_id)
    status = certificate.status_at(now)
    grace_until = certificate.grace_until_at(now)
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
        "grace_period_until": grace_until.date().isoformat() if grace_until else None,
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
    programme_id: int | None = None,
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
        Certificate.valid_until <= now,
    )
    # Marked expired by the job, yet inside a grace period (status_at: active).
    in_grace = sa.and_(
        Certificate.status == CertificateStatus.EXPIRED,
        Certificate.grace_until.is_not(None),
        Certificate.grace_until > now,
    )
    if programme_id:
        statement = statement.where(Certificate.path_id == programme_id)
    if status == "active":
        statement = statement.where(
            sa.or_(sa.and_(Certificate.status == CertificateStatus.ACTIVE, ~lapsed), in_grace)
        )
    elif status == "expired":
        statement = statement.where(
            sa.or_(sa.and_(Certificate.status == CertificateStatus.EXPIRED, ~in_grace), lapsed)
        )
    elif status == "revoked":
        statement = statement.where(Certificate.status == CertificateStatus.REVOKED)
    if expiring_within:
        statement = statement.where(
            Certificate.status == CertificateStatus.ACTIVE,
            Certificate.valid_until > now,
            Certificate.valid_until <= now + timedelta(days=expiring_within),
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
    "grace period until",
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
                c.grace_until.date().isoformat() if c.grace_until else "",
            )
        )
    return buffer.getvalue()
