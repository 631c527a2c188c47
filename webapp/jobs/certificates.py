"""Certificate jobs: render and store the PDF after the certificate's commit."""

from __future__ import annotations

from webapp.extensions import db
from webapp.jobs import job
from webapp.services import certificates


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
