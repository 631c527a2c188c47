"""Certificate numbers (`PREFIX-YYYY-NNNNN`, one atomic counter per tenant and year), public
tokens, and the links built from them (the verification page, LinkedIn).

`next_serial` flushes (executes), never commits; everything else reads only.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

from flask import current_app

from webapp import sqltools
from webapp.extensions import db
from webapp.models import Certificate, CertificateCounter, Tenant
from webapp.urls import public_url

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


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
