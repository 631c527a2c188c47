"""Admin page: the home page with the tenant's figures."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from webapp.admin.blueprint import bp
from webapp.services import admin_overview


@bp.get("/")
def home():
    return render_template(
        "admin/home/home.html", figures=admin_overview.tenant_figures(current_user.tenant_id)
    )
