"""Admin pages: the e-mail outbox of the tenant (read what was sent, or kept when no mail
server is configured, as in development)."""

from __future__ import annotations

from flask import current_app, render_template

from webapp.access import tenant_get_or_404, tenant_select
from webapp.admin.blueprint import bp
from webapp.extensions import db
from webapp.models import OutboxEmail


@bp.get("/outbox/")
def outbox():
    page = db.paginate(
        tenant_select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc()),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "admin/outbox/outbox.html", page=page, mail_server=current_app.config.get("MAIL_SERVER")
    )


@bp.get("/outbox/<int:email_id>")
def outbox_email(email_id: int):
    email = tenant_get_or_404(OutboxEmail, email_id)
    return render_template("admin/outbox/outbox_email.html", email=email)
