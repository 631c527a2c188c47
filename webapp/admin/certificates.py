"""Admin pages: certificates (list with filters and CSV export, detail, revoke, re-render,
grace periods)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, flash, render_template, request, url_for
from flask_login import current_user

from webapp import clock, htmx, urls
from webapp.access import tenant_get_or_404, tenant_id
from webapp.admin.blueprint import bp
from webapp.admin.certificate_forms import CertificateFilterForm, GracePeriodForm, RevokeForm
from webapp.downloads import send_certificate_pdf
from webapp.errors import DomainError, InvalidTransition, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.models import AuditEvent, Certificate, CertificationPath
from webapp.services import certificates


def _filter_form() -> CertificateFilterForm:
    form = CertificateFilterForm(request.args)
    programmes = db.session.execute(
        sa.select(CertificationPath.id, CertificationPath.name)
        .where(CertificationPath.tenant_id == tenant_id())
        .order_by(CertificationPath.name)
    ).all()
    form.programme_id.choices = choices([("", "All programmes"), *programmes])
    form.validate()
    return form


@bp.get("/certificates/")
def certificates_list():
    form = _filter_form()
    now = clock.now()
    statement = certificates.admin_query(tenant_id(), now, **form.filters())
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "admin/certificates/certificates_list.html",
        form=form,
        page=page,
        args=form.query_args(),
        now=now,
        soon_days=current_app.config["CERT_EXPIRING_SOON_DAYS"],
        display_status=certificates.display_status,
        stale_pdfs=certificates.stale_pdf_count(tenant_id()),
        base_url=urls.public_base_url(),
    )


@bp.post("/certificates/rerender-stale")
def certificates_rerender_stale():
    count = certificates.request_stale_pdf_renders(tenant_id(), current_user)
    db.session.commit()
    if count:
        flash(
            f"{count} PDFs are being rendered again with links to {urls.public_base_url()}.",
            "success",
        )
    else:
        flash("Every stored PDF already links to this address.", "success")
    return htmx.see_other(url_for("admin.certificates_list"))


@bp.get("/certificates/export.csv")
def certificates_export():
    form = _filter_form()
    now = clock.now()
    rows = db.session.scalars(certificates.admin_query(tenant_id(), now, **form.filters()))
    response = Response(certificates.export_csv(rows.all(), now), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=certificates.csv"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _detail(certificate: Certificate, grace_form: GracePeriodForm | None = None):
    now = clock.now()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.tenant_id == certificate.tenant_id,
            AuditEvent.object_type == "certificate",
            AuditEvent.object_id == certificate.id,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    window = certificates.grace_window(certificate, now)
    grace_form = grace_form or GracePeriodForm(formdata=None)
    if window.open:
        grace_form.until.render_kw = {
            "min": window.earliest.isoformat(),
            "max": window.latest.isoformat(),
        }
    return render_template(
        "admin/certificates/certificate.html",
        certificate=certificate,
        status=certificate.status_at(now).value,
        grace_until=certificate.grace_until_at(now),
        verification_url=certificates.verification_url(certificate),
        events=events,
        extensions=certificates.extensions_of(certificate),
        window=window,
        grace_form=grace_form,
    )


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    return _detail(tenant_get_or_404(Certificate, certificate_id))


@bp.post("/certificates/<int:certificate_id>/grace-period")
def certificate_extend(certificate_id: int):
    certificate = tenant_get_or_404(Certificate, certificate_id)
    form = GracePeriodForm()
    if form.validate_on_submit():
        try:
            certificates.extend_certificate(
                certificate, current_user, form.until.data, form.reason.data
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(f"{certificate.number} is valid until {form.until.data:%d %b %Y}.", "success")
            return htmx.see_other(url_for("admin.certificate", certificate_id=certificate.id))
    return _detail(certificate, form), 422


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
def certificate_revoke(certificate_id: int):
    certificate = tenant_get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            certificates.revoke_certificate(certificate, current_user, form.reason.data)
        except (ValidationFailed, InvalidTransition) as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):
                error = ValidationFailed(error.message)
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(f"Certificate {certificate.number} revoked.", "success")
            return htmx.see_other(url_for("admin.certificate", certificate_id=certificate.id))
    return render_template(
        "admin/certificates/certificate_revoke.html", certificate=certificate, form=form
    ), (422 if form.is_submitted() else 200)


@bp.post("/certificates/<int:certificate_id>/rerender")
def certificate_rerender(certificate_id: int):
    certificate = tenant_get_or_404(Certificate, certificate_id)
    certificates.request_pdf_render(certificate, current_user)
    db.session.commit()
    flash("The PDF is being rendered again.", "success")
    return htmx.see_other(url_for("admin.certificate", certificate_id=certificate.id))


@bp.get("/certificates/<int:certificate_id>/pdf")
def certificate_pdf(certificate_id: int):
    certificate = tenant_get_or_404(Certificate, certificate_id)
    return send_certificate_pdf(
        certificate, url_for("admin.certificate", certificate_id=certificate.id)
    )
