"""Certificate jobs: render and store the PDF after the certificate's commit."""

from __future__ import annotations

from webapp.extensions import db
from webapp.outbox import defer, job
from webapp.services import certificates

BATCH = 50  # PDFs per run of the bulk job: it commits and defers itself for the next batch


@job("render_certificate_pdf")
def render_certificate_pdf(certificate_id: int) -> None:
    """Render and store one certificate's PDF (pending -> ready once; safe to run twice or in
    two workers at once). On failure the certificate records `failed` with the error (shown to
    admins) and the exception propagates, so RQ retries the job. Commits."""
    try:
        certificates.store_certificate_pdf(certificate_id)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        certificates.record_pdf_failure(certificate_id, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        raise


@job("render_pending_certificate_pdfs")
def render_pending_certificate_pdfs(tenant_id: int) -> None:
    """Render the tenant's pending PDFs (an admin asked for links to be brought up to date)
    a batch at a time, each committed; defers itself while more are pending, so a crash
    resumes where it stopped. A PDF that fails is marked failed and skipped. Commits."""
    ids = certificates.pending_pdf_ids(tenant_id, BATCH)
    for certificate_id in ids:
        try:
            certificates.store_certificate_pdf(certificate_id)
            db.session.commit()
        except Exception as exc:  # recorded on the certificate, shown to admins
            db.session.rollback()
            certificates.record_pdf_failure(certificate_id, f"{type(exc).__name__}: {exc}")
            db.session.commit()
    if len(ids) == BATCH and certificates.pending_pdf_ids(tenant_id, 1):
        defer("render_pending_certificate_pdfs", tenant_id, queue="pdf", tenant_id=tenant_id)
        db.session.commit()
