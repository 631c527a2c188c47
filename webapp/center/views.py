"""The CertifiKation Center: the learner dashboard at /certs."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from webapp import clock
from webapp.center import logo, notifications  # noqa: F401  (attach their routes)
from webapp.center.blueprint import bp
from webapp.models import EnrolmentStatus
from webapp.services import certificates
from webapp.services import dashboard as dashboard_service


@bp.get("/")
def index():
    return redirect(url_for("center.dashboard"))


@bp.get("/certs", strict_slashes=False)
def dashboard():
    summaries = dashboard_service.enrolment_summaries(current_user)
    expiring = dashboard_service.expiring_certificates(
        current_user, clock.now(), current_app.config["CERT_EXPIRING_SOON_DAYS"]
    )
    now, soon = clock.now(), current_app.config["CERT_EXPIRING_SOON_DAYS"]
    status = {
        s.certificate.id: certificates.display_status(s.certificate, now, soon)
        for s in summaries
        if s.certificate
    }
    # Certified: a certificate that holds now; a revoked or lapsed one is an earlier enrolment.
    certified = [
        s
        for s in summaries
        if s.enrolment.status is EnrolmentStatus.CERTIFIED
        and s.certificate
        and status[s.certificate.id] in ("active", "expiring")
    ]
    return render_template(
        "center/dashboard.html",
        open_summaries=[s for s in summaries if s.enrolment.is_open],
        certified_summaries=certified,
        certificate_status=status,
        finished_summaries=[s for s in summaries if not s.enrolment.is_open and s not in certified],
        expiring=expiring,
    )
