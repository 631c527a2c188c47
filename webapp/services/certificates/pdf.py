"""The certificate's PDF: its storage key and printed values, rendering and storing it once
(also with two workers at once), failures for admins, renders asked again one by one or in
bulk when the public address changed, and the stored file.

Functions flush, never commit; rendering and storage errors propagate.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa

from webapp import clock, urls
from webapp.extensions import db
from webapp.models import Certificate, PdfStatus, User
from webapp.outbox import defer
from webapp.services import audit
from webapp.services.certificate_pdf import CertificateDocument, render
from webapp.services.certificates.numbering import verification_url
from webapp.storage import get_storage


def pdf_storage_key(certificate: Certificate) -> str:
    """One fixed storage key per certificate, so concurrent renders write the same file."""
    digest = hashlib.sha256(
        f"certificate-pdf:{certificate.id}:{certificate.public_token}".encode()
    ).hexdigest()
    return f"certificates/{digest[:2]}/{digest[:32]}.pdf"


def _stored(key: str | None) -> bytes | None:
    storage = get_storage()
    return storage.read(key) if key and storage.exists(key) else None


def certificate_document(certificate: Certificate) -> CertificateDocument:
    """The values printed on the PDF (all frozen at issuance, the issuer's logo and signatory
    too: a certificate rendered again shows who signed it then; the badge and the logo read
    from storage)."""
    meta = certificate.meta or {}
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
        badge=_stored(meta.get("badge_key")),
        logo=_stored(meta.get("issuer_logo_key")),
        signatory_name=meta.get("signatory_name") or "",
        signatory_title=meta.get("signatory_title") or "",
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
    # Set-based on purpose: a conditional UPDATE (not READY yet) makes pending -> ready happen
    # once when two workers render the same certificate at the same moment.
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
    # Set-based on purpose: runs after the job's rollback, and the condition keeps a PDF that
    # another worker made ready meanwhile from being marked failed.
    db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.pdf_status != PdfStatus.READY)
        .values(pdf_status=PdfStatus.FAILED, pdf_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


def request_pdf_render(certificate: Certificate, actor: User) -> None:
    """An admin asks for the PDF to be rendered again (after a failure or a badge change): back
    to pending and a new job after the commit. Flushes, never commits."""
    certificate.request_pdf()
    audit.record(
        certificate.tenant_id,
        actor,
        "certificate.pdf_rerender",
        "certificate",
        certificate.id,
        f"PDF of {certificate.number} rendered again",
        subject=certificate.user,
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
    # Set-based on purpose: every stale PDF of the tenant in one statement, however many.
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
