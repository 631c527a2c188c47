"""Administration (admins of a tenant only). The blueprint is defined here; its pages live in
modules of this package that attach routes to `bp` (programmes, quizzes, transfer)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.access import admin_required
from webapp.services import admin_overview

bp = Blueprint("admin", __name__, url_prefix="/certs/admin")


@bp.before_request
@admin_required
def require_admin():
    return None


@bp.get("/")
def home():
    return render_template(
        "admin/home.html", figures=admin_overview.tenant_figures(current_user.tenant_id)
    )


# Route modules attach their views to `bp` on import.
from webapp.admin import (  # noqa: E402, F401
    attempts,
    certificates,
    outbox,
    programmes,
    quizzes,
    regrading,
    reports,
    settings,
    transfer,
)
