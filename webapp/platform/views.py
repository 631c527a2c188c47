"""The platform console (`/platform/`) for installation operators: the tenants with their
counts, a new tenant with its first admin (invited by e-mail), suspending and reactivating a
tenant. Tenant users get 403 here; operators get 403 on every tenant page (webapp.access)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from webapp import htmx
from webapp.access import operator_required
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems
from webapp.models import Tenant
from webapp.platform.forms import TenantForm
from webapp.services import platform

bp = Blueprint("platform", __name__, url_prefix="/platform")


@bp.before_request
@operator_required
def require_operator():
    return None


@bp.get("/")
def home():
    page = platform.tenant_figures(
        request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"]
    )
    return render_template("platform/home.html", page=page)


@bp.route("/tenants/new", methods=["GET", "POST"])
def tenant_new():
    form = TenantForm()
    if form.validate_on_submit():
        try:
            created = platform.create_tenant(form.data_for_service(), current_user)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(
                f"{created.tenant.name} created. An invitation to set a password was sent to "
                f"{created.admin.email}.",
                "success",
            )
            return htmx.see_other(url_for("platform.home"))
    return render_template("platform/tenant_new.html", form=form), (
        422 if form.is_submitted() else 200
    )


CHANGES = {
    "suspend": (platform.suspend_tenant, "{} is suspended: its people cannot log in."),
    "reactivate": (platform.reactivate_tenant, "{} is active again."),
}


def _change_status(tenant_id: int, change: str):
    tenant = db.get_or_404(Tenant, tenant_id)
    form = FlaskForm()
    if form.validate_on_submit():
        action, message = CHANGES[change]
        try:
            action(tenant, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(message.format(tenant.name), "success")
        return htmx.see_other(url_for("platform.home"))
    return render_template(f"platform/tenant_{change}.html", tenant=tenant, form=form)


@bp.route("/tenants/<int:tenant_id>/suspend", methods=["GET", "POST"])
def tenant_suspend(tenant_id: int):
    return _change_status(tenant_id, "suspend")


@bp.route("/tenants/<int:tenant_id>/reactivate", methods=["GET", "POST"])
def tenant_reactivate(tenant_id: int):
    return _change_status(tenant_id, "reactivate")
