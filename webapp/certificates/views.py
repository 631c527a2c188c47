"""My Certificates (with the PDF download) and the public verification page (HTML and JSON)."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from webapp import clock, htmx
from webapp.access import first_or_404, public, tenant_select
from webapp.downloads import send_certificate_pdf
from webapp.extensions import limiter
from webapp.models import Certificate
from webapp.services import certificates

bp = Blueprint("certificates", __name__, url_prefix="/certs")

VERIFY_ENDPOINTS = {"certificates.verify", "certificates.verify_json"}
# One budget for both forms of the page, per client address, read from the config per request.
verify_limit = limiter.shared_limit(
    lambda: f"{current_app.config['VERIFY_RATE_LIMIT_PER_MINUTE']}/minute",
    scope="certificate-verification",
)


@bp.get("/my")
def my_certificates():
    held = certificates.held_certificates(
        current_user, clock.now(), current_app.config["CERT_EXPIRING_SOON_DAYS"]
    )
    fragment = htmx.is_fragment_request("certificate-list")
    template = "certificates/_list.html" if fragment else "certificates/my_certificates.html"
    return render_template(template, held=held, polling=any(h.pdf_pending for h in held))


@bp.get("/my/<int:certificate_id>/pdf")
def pdf(certificate_id: int):
    certificate = first_or_404(
        tenant_select(Certificate).where(
            Certificate.id == certificate_id, Certificate.user_id == current_user.id
        )
    )
    return send_certificate_pdf(certificate, url_for("certificates.my_certificates"))


def _record(token: str) -> dict:
    certificate = certificates.find_by_token(token)
    if certificate is None:
        abort(404)  # unknown and malformed tokens answer alike
    return certificates.verification_record(certificate, clock.now())


@bp.get("/verify/<token>")
@public
@verify_limit
def verify(token: str):
    record = _record(token)
    accepted = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if accepted == "application/json":
        return jsonify(record)
    return render_template("certificates/verify.html", record=record)


@bp.get("/verify/<token>.json")
@public
@verify_limit
def verify_json(token: str):
    return jsonify(_record(token))


@bp.after_request
def _verification_headers(response):
    """The verification answers (also 404 and 429) are never cached nor leak the token."""
    if request.endpoint in VERIFY_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.vary.add("Accept")
    return response


@bp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded):
    current = limiter.current_limit
    retry_after = max(1, int(current.reset_at - time.time())) if current else 60
    headers = {"Retry-After": str(retry_after)}
    if request.path.endswith(".json"):
        return {"error": "Too Many Requests", "status": 429}, 429, headers
    message = "Too many requests. Please wait a moment and try again."
    page = render_template(
        "errors/error.html", code=429, title="Too many requests", message=message
    )
    return page, 429, headers
