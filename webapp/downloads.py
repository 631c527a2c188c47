"""Serving stored files as attachments shared by blueprints: a certificate's PDF (My
Certificates and the admin pages)."""

from __future__ import annotations

from flask import Response, flash, send_file

from webapp import htmx
from webapp.models import Certificate
from webapp.services import certificates


def send_certificate_pdf(certificate: Certificate, not_ready_url: str) -> Response:
    """The stored PDF as an attachment; while it is being prepared, back to `not_ready_url`."""
    path = certificates.stored_pdf(certificate)
    if path is None:
        flash("The PDF is being prepared. Try again in a moment.", "error")
        return htmx.see_other(not_ready_url)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{certificate.number}.pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
